/* Calls the driver from two named functions, several times from each
 * call site, so the report can say who called. */
int cuInit(unsigned flags);
int cuDriverGetVersion(int *v);

__attribute__((noinline)) static int start_driver(void)
{
	return cuInit(0);
}

__attribute__((noinline)) static int ask_version(void)
{
	int v = 0, sum = 0;
	for (int i = 0; i < 5; i++)
		sum += cuDriverGetVersion(&v);
	return sum + (v != 13000);
}

int main(void)
{
	return start_driver() + ask_version();
}
