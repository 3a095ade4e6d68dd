#!/usr/bin/env bash
# The HTML report of a 1M-call trace whose one failure comes at the very
# end: the page leads with the diagnosis and the error, the failing call
# is embedded and drawn on the timeline although most calls are only
# counted in time buckets, and the page says how many were aggregated.
# Headless Chromium loads it; the screenshot is kept with the test logs.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixtures.sh"
name="html of a 1M-call trace"
build_mktrace || { fail mktrace "could not build"; exit 1; }
# 4 threads x 250k hot calls, then cuMemAlloc_v2 fails on the last thread.
"$T/mktrace" --calls 250000 --threads 4 --fail-at-end "$T/t.trace"
report --format html -o "$T/r.html" "$T/t.trace"
calls=$(report --format summary "$T/t.trace" | awk '$NF == "total" { print $3 }')
cov=$(grep -o '<p id="coverage"[^>]*>' "$T/r.html")
num() { sed -n "s/.*$1=\"\([0-9]*\)\".*/\1/p" <<<"$cov"; }
expect_eq "$name: every call accounted for on the page" "$(num data-calls)" "$calls"
embedded=$(num data-embedded) aggregated=$(num data-aggregated)
expect_eq "$name: embedded + aggregated = all calls" "$((embedded + aggregated))" "$calls"
check "$name: most calls aggregated ($aggregated), the page says so" \
	bash -c "[ $aggregated -gt 500000 ] && grep -q 'The other $aggregated calls are counted' '$T/r.html'"
# The answer first: diagnosis, errors, functions, then the timeline.
order=$(grep -ob 'id="\(diagnosis\|errors\|functions\|timeline\)"' "$T/r.html" | cut -d'"' -f2 | tr '\n' ' ')
expect_eq "$name: sections lead with the answer" "$order" "diagnosis errors functions timeline "
check "$name: the diagnosis names the failure" \
	bash -c "sed -n '/id=\"diagnosis\"/,/<\/section>/p' '$T/r.html' | grep -q 'cuMemAlloc_v2 returned CUDA_ERROR_OUT_OF_MEMORY'"
check "$name: is self-contained (no external script, style or link)" \
	bash -c "! grep -qiE '<(script|img|iframe)[^>]* src=|<link |https?://' '$T/r.html'"
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome)
if [ -z "$browser" ]; then skip "$name in Chromium" "chromium not installed (apt-get install chromium)"; exit 0; fi
shots=${VGPU_LOGDIR:-$VGPU_BUILD/test-logs}
mkdir -p "$shots"
shot=$shots/report_html_large$([ "$VGPU_SAN" = 1 ] && echo -asan).png
rm -f "$shot"
# Chromium wants a writable home and refuses its sandbox as root.
HOME=$T timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
	--user-data-dir="$T/chrome" --window-size=1400,1000 --virtual-time-budget=10000 \
	--screenshot="$shot" --dump-dom "file://$T/r.html" >"$T/dom.html" 2>"$T/chrome.log"
body=$(grep -o '<body[^>]*>' "$T/dom.html")
if [[ $body != *'data-rendered="1"'* ]]; then
	fail "$name in Chromium" "the page's script did not finish: $body $(grep -v dbus "$T/chrome.log" | tail -3)"
	exit 0
fi
pass "$name in Chromium: the page's script ran"
row=$(grep -o '<tr class="err"[^>]*><td>cuMemAlloc_v2([^<]*</td><td class="ret">CUDA_ERROR_OUT_OF_MEMORY' "$T/dom.html")
check "$name in Chromium: the failing call is in the errors section" test -n "$row"
check "$name in Chromium: its row found the call on the timeline" grep -q 'data-shown="1"' <<<"$row"
top=$(sed -n 's/.*data-first-error-top="\([0-9-]*\)".*/\1/p' <<<"$body")
check "$name in Chromium: the error is on the first screen (top ${top}px of 1000)" \
	test "${top:-99999}" -ge 0 -a "${top:-99999}" -lt 1000
failed_drawn=$(sed -n 's/.*data-failed-drawn="\([0-9]*\)".*/\1/p' "$T/dom.html")
expect_eq "$name in Chromium: the failure drawn on the whole-trace timeline" "$failed_drawn" 1
check "$name in Chromium: screenshot kept ($shot)" \
	bash -c "[ \"\$(head -c 8 '$shot' | od -An -tx1 | tr -d ' ')\" = 89504e470d0a1a0a ]"
# Interaction: a script appended to a copy of the page clicks the error
# row (the timeline zooms to the failing call and shows its arguments and
# result) and sorts the function table by calls, both ways.
cp "$T/r.html" "$T/click.html"
cat >>"$T/click.html" <<'JS'
<script>
(function(){var out={};try{
 document.querySelector('tr.err').click();
 out.sel=document.getElementById('sel').textContent.split('\n')[0];
 out.failed=document.getElementById('drawn').getAttribute('data-failed-drawn');
 out.drawn=document.getElementById('drawn').getAttribute('data-drawn');
 var th=document.querySelectorAll('#ftable th')[2];th.click();
 var first=function(){var r=document.querySelector('#ftable tbody tr');return r.cells[0].textContent+'='+r.cells[2].getAttribute('data-v');};
 out.most=first();th.click();out.fewest=first().replace(/.*=/,'');
}catch(e){out.error=String(e);}
for(var k in out)document.body.setAttribute('data-t-'+k,out[k]);})();
</script>
JS
HOME=$T timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
	--user-data-dir="$T/chrome" --window-size=1400,1000 --virtual-time-budget=10000 \
	--dump-dom "file://$T/click.html" >"$T/click-dom.html" 2>>"$T/chrome.log"
body=$(grep -o '<body[^>]*>' "$T/click-dom.html" | sed 's/&quot;/"/g')
attr() { sed -n "s/.* data-t-$1=\"\([^\"]*\)\".*/\1/p" <<<"$body"; }
expect_eq "$name in Chromium: no script error on click and sort" "$(attr error)" ""
expect_eq "$name in Chromium: clicking the error shows the call with its result" "$(attr sel)" \
	"cuMemAlloc_v2(dptr=0x7ffc0060, bytesize=85899345920 (81920 MiB)) = CUDA_ERROR_OUT_OF_MEMORY (2)"
check "$name in Chromium: ... and zooms the timeline to it ($(attr drawn) calls in view)" \
	test "$(attr failed)" = 1 -a "$(attr drawn)" -lt 100
# Most calls: the hot loop's 4 x 250000; fewest: a function called once.
expect_eq "$name in Chromium: the function table sorts by calls, both ways" \
	"$(attr most) $(attr fewest)" "cuCtxGetDevice=1000000 1"
