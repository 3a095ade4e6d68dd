/* CUPTI starts on the simulated GPU: cuptiGetVersion, cuptiSubscribe
 * with a callback that does nothing, cuptiUnsubscribe. */
#include <stdio.h>

typedef struct CUpti_Subscriber_st *CUpti_SubscriberHandle;
typedef void (*CUpti_CallbackFunc)(void *userdata, int domain, unsigned cbid,
				   const void *cbdata);
int cuptiGetVersion(unsigned *version);
int cuptiSubscribe(CUpti_SubscriberHandle *s, CUpti_CallbackFunc cb,
		   void *userdata);
int cuptiUnsubscribe(CUpti_SubscriberHandle s);
int cuptiGetResultString(int result, const char **str);

static void on_callback(void *userdata, int domain, unsigned cbid,
			const void *cbdata)
{
	(void)userdata, (void)domain, (void)cbid, (void)cbdata;
}

int main(void)
{
	unsigned v = 0;
	int r = cuptiGetVersion(&v);
	printf("cuptiGetVersion %d %u\n", r, v);
	CUpti_SubscriberHandle s = NULL;
	r = cuptiSubscribe(&s, on_callback, NULL);
	const char *why = "?";
	cuptiGetResultString(r, &why);
	printf("cuptiSubscribe %d %s\n", r, why);
	if (r)
		return r;
	r = cuptiUnsubscribe(s);
	printf("cuptiUnsubscribe %d\n", r);
	return r;
}
