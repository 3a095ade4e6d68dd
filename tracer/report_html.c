/* HTML: one self-contained file (inline CSS and JS, no network) with the
 * text report and a zoomable timeline drawn on a canvas.  Calls stream
 * into a script array while the trace is read; the names, threads and
 * report follow at the end, so nothing per call is held in memory.  A
 * browser cannot draw millions of calls usefully: the first HTML_CAP are
 * embedded and the page says how many were left out. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_stream.h"

#define HTML_CAP 200000

static const char page_head[] =
"<!doctype html>\n<html><head><meta charset=\"utf-8\">\n"
"<title>vgpu-run report</title>\n<style>\n"
"body{font:13px/1.4 system-ui,sans-serif;margin:1em;color:#222}\n"
"pre{font:12px/1.3 monospace;background:#f6f6f6;padding:.6em;overflow:auto;max-height:40em}\n"
"#tl{border:1px solid #bbb;width:100%;height:420px;cursor:grab;display:block}\n"
"#info{font:12px monospace;min-height:1.4em}\n"
".note{color:#a40}\n"
"</style></head><body>\n"
"<h1>vgpu-run report</h1>\n"
"<h2>Timeline</h2><p>Wheel: zoom at the pointer; drag: pan; double-click: reset. "
"Rows are threads; nested calls are drawn below their caller. "
"<span style=\"color:#4a7bd0\">&#9632; driver</span> "
"<span style=\"color:#3ca55c\">&#9632; runtime</span> "
"<span style=\"color:#c58a1b\">&#9632; NVML</span> "
"<span style=\"color:#d33\">&#9632; failed or never returned</span></p>\n"
"<div id=\"info\"></div><canvas id=\"tl\"></canvas>\n"
"<p id=\"drawn\" data-drawn=\"0\"></p>\n"
"<!-- data-drawn: calls drawn; data-painted: coloured canvas pixels (calls,\n"
"     not grid lines or labels), for automated checks -->\n"
"<script>\n/* [func, pid, tid, start_ns, dur_ns, depth, failed] */\nvar CALLS=[";

static const char page_js[] =
"<script>\n(function(){\n"
"var cv=document.getElementById('tl'),cx=cv.getContext('2d'),info=document.getElementById('info');\n"
"var rows={},rowList=[];\n"
"CALLS.forEach(function(c){var k=c[1]+'/'+c[2];if(!(k in rows)){rows[k]=rowList.length;rowList.push(k);}});\n"
/* Depth from time containment per thread: the streamed depth can miss an
 * enclosing call whose records came from another library's ring later. */
"(function(){var by={};CALLS.forEach(function(c){var k=c[1]+'/'+c[2];(by[k]=by[k]||[]).push(c);});\n"
" for(var k in by){var st=[];by[k].sort(function(x,y){return x[3]-y[3]||y[4]-x[4];}).forEach(function(c){\n"
"  while(st.length&&st[st.length-1]<=c[3])st.pop();c[5]=st.length;st.push(c[3]+c[4]);});}})();\n"
"var maxDepth=1;CALLS.forEach(function(c){if(c[5]+1>maxDepth)maxDepth=c[5]+1;});\n"
"var t0=Infinity,t1=0;CALLS.forEach(function(c){if(c[3]<t0)t0=c[3];if(c[3]+c[4]>t1)t1=c[3]+c[4];});\n"
"if(!CALLS.length){t0=0;t1=1;}if(t1<=t0)t1=t0+1;\n"
"var view={a:t0,b:t1},LAB=140,LH=12;\n"
"var colors={cuda:'#4a7bd0',cudart12:'#3ca55c',cudart13:'#3ca55c',nvml:'#c58a1b'};\n"
"function size(){cv.width=cv.clientWidth;var h=Math.max(120,rowList.length*(maxDepth*LH+8)+20);cv.height=h;cv.style.height=h+'px';}\n"
"function draw(){var W=cv.width-LAB,drawn=0,sc=W/(view.b-view.a);\n"
" cx.clearRect(0,0,cv.width,cv.height);cx.font='11px sans-serif';\n"
" rowList.forEach(function(k,i){var y=i*(maxDepth*LH+8)+4;cx.fillStyle='#333';cx.fillText(THREADS[k]||('tid '+k),2,y+10);\n"
"  cx.strokeStyle='#ddd';cx.beginPath();cx.moveTo(LAB,y+maxDepth*LH+4);cx.lineTo(cv.width,y+maxDepth*LH+4);cx.stroke();});\n"
" for(var j=0;j<CALLS.length;j++){var c=CALLS[j];var x0=LAB+(c[3]-view.a)*sc,x1=LAB+(c[3]+c[4]-view.a)*sc;\n"
"  if(x1<LAB||x0>cv.width)continue;if(x0<LAB)x0=LAB;var w=Math.max(1,x1-x0);\n"
"  var y=rows[c[1]+'/'+c[2]]*(maxDepth*LH+8)+4+c[5]*LH;var f=FUNCS[c[0]]||['?','?'];\n"
"  cx.fillStyle=c[6]?'#d33':(colors[f[1]]||'#888');cx.fillRect(x0,y,w,LH-1);drawn++;\n"
"  if(w>40){cx.fillStyle='#fff';cx.fillText(f[0].slice(0,Math.floor(w/6)),x0+2,y+LH-3);}}\n"
" var d=document.getElementById('drawn');d.setAttribute('data-drawn',drawn);d.textContent='calls drawn: '+drawn+' of '+CALLS.length+(SKIPPED?' ('+SKIPPED+' more calls were not embedded)':'');\n"
" if(!d.hasAttribute('data-painted')){var px=cx.getImageData(LAB,0,cv.width-LAB,cv.height).data,n=0;for(var q=3;q<px.length;q+=4)if(px[q]&&!(px[q-3]==px[q-2]&&px[q-2]==px[q-1]))n++;d.setAttribute('data-painted',n);}}\n"
"function at(ev){var r=cv.getBoundingClientRect();return view.a+(ev.clientX-r.left-LAB)*(view.b-view.a)/(cv.width-LAB);}\n"
"cv.addEventListener('wheel',function(ev){ev.preventDefault();var t=at(ev),k=ev.deltaY<0?0.8:1.25;\n"
" view.a=t-(t-view.a)*k;view.b=t+(view.b-t)*k;if(view.b-view.a<1)view.b=view.a+1;draw();},{passive:false});\n"
"var drag=null;cv.addEventListener('mousedown',function(ev){drag={x:ev.clientX,a:view.a,b:view.b};});\n"
"window.addEventListener('mouseup',function(){drag=null;});\n"
"cv.addEventListener('mousemove',function(ev){if(drag){var dt=(ev.clientX-drag.x)*(drag.b-drag.a)/(cv.width-LAB);view.a=drag.a-dt;view.b=drag.b-dt;draw();return;}\n"
" var t=at(ev),r=cv.getBoundingClientRect(),y=ev.clientY-r.top,best=null;\n"
" CALLS.forEach(function(c){var ry=rows[c[1]+'/'+c[2]]*(maxDepth*LH+8)+4+c[5]*LH;if(t>=c[3]&&t<=c[3]+c[4]&&y>=ry&&y<ry+LH)best=c;});\n"
" info.textContent=best?((FUNCS[best[0]]||['?'])[0]+'  pid '+best[1]+' tid '+best[2]+'  +'+(best[3]/1e6).toFixed(3)+' ms  '+(best[4]/1e3).toFixed(1)+' us'+(best[6]?'  FAILED':'')):'';});\n"
"cv.addEventListener('dblclick',function(){view={a:t0,b:t1};draw();});\n"
"window.addEventListener('resize',function(){size();draw();});\n"
"size();draw();\n})();\n</script>\n</body></html>\n";

static void on_call(void *ctx, const struct rpt_call *c)
{
	struct rpt_stream *s = ctx;
	if (s->n >= s->cap) {
		s->skipped++;
		return;
	}
	/* Probes the runtime expects to fail are not drawn as failures. */
	const char *o = rpt_call_outcome(c);
	bool failed = strcmp(o, "ok") && strcmp(o, "probe");
	fprintf(s->f, "%s[%u,%u,%u,%" PRIu64 ",%" PRIu64 ",%u,%d]",
		s->n ? (s->n % 8 ? "," : ",\n") : "", c->fn->id, c->pid, c->tid,
		c->start_ns, c->end_ns - c->start_ns, c->depth, failed);
	s->n++;
}

static void on_thread(void *ctx, uint32_t pid, uint32_t tid, const char *name)
{
	struct rpt_stream *s = ctx;
	if (!*name || s->nthreads == STREAM_MAX_THREADS)
		return;
	if (!s->threads)
		s->threads = rpt_calloc(STREAM_MAX_THREADS, sizeof(*s->threads));
	s->threads[s->nthreads++] = (struct stream_thread){ pid, tid, rpt_strdup(name) };
}

struct rpt_stream *rpt_html_begin(FILE *f, struct rpt_sink *sink)
{
	struct rpt_stream *s = rpt_calloc(1, sizeof(*s));
	s->f = f;
	s->cap = HTML_CAP;
	fputs(page_head, f);
	*sink = (struct rpt_sink){ .ctx = s, .call = on_call, .thread = on_thread };
	return s;
}

static void html_text(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		default: fputc(s[i], f);
		}
	}
}

void rpt_html_finish(struct rpt_stream *s, const struct rpt_view *v)
{
	FILE *f = s->f;
	fprintf(f, "];\nvar SKIPPED=%" PRIu64 ";\nvar FUNCS={", s->skipped);
	for (size_t i = 0; i < v->nfuncs; i++) {
		fprintf(f, "%s%u:[", i ? "," : "", v->funcs[i]->id);
		rpt_json_str(f, v->funcs[i]->name);
		fprintf(f, ",\"%s\"]", vt_api_name(VT_FUNC_API(v->funcs[i]->id)));
	}
	fputs("};\nvar THREADS={", f);
	for (size_t i = 0; i < v->nprocs; i++) {
		const struct rpt_process *p = v->procs[i];
		const char *name = p->nexec ? p->execs[p->nexec - 1].path : "";
		const char *base = strrchr(name, '/');
		char label[300];
		snprintf(label, sizeof(label), "%s %u", base ? base + 1 : name, p->pid);
		fprintf(f, "%s\"%u/%u\":", i ? "," : "", p->pid, p->pid);
		rpt_json_str(f, label);
	}
	fputs("};\n", f);
	/* Named threads (the main thread keeps its process label). */
	for (size_t i = 0; i < s->nthreads; i++) {
		const struct stream_thread *t = &s->threads[i];
		if (t->pid != t->tid) {
			char label[300];
			snprintf(label, sizeof(label), "%.200s %u", t->name, t->tid);
			fprintf(f, "THREADS[\"%u/%u\"]=", t->pid, t->tid);
			rpt_json_str(f, label);
			fputs(";\n", f);
		}
		free(t->name);
	}
	free(s->threads);
	fputs("</script>\n", f);
	/* The full text report, rendered by the same code as the text mode. */
	char *text = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&text, &len);
	if (mf) {
		rpt_write_text(mf, v, SORT_TIME);
		fclose(mf);
		fputs("<h2>Report</h2>\n<pre id=\"report\">", f);
		html_text(f, text, len);
		fputs("</pre>\n", f);
		free(text);
	}
	fputs(page_js, f);
	free(s);
}
