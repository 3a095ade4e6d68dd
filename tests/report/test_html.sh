#!/usr/bin/env bash
# The HTML report is one self-contained file; headless Chromium runs its
# script and the timeline draws every call (the page records how many it
# drew and how many canvas pixels it painted).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixtures.sh"
name="html timeline drawn in headless Chromium"
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome)
build_mktrace || { fail mktrace "could not build"; exit 1; }
"$T/mktrace" --scenario cuinit-fail --calls 500 --threads 3 "$T/t.trace"
report --format html -o "$T/r.html" "$T/t.trace"
calls=$(report --format summary "$T/t.trace" | awk '$NF == "total" { print $3 }')
check "html is self-contained (no external script, style or link)" \
	bash -c "! grep -qiE '<(script|img|iframe)[^>]* src=|<link |https?://' '$T/r.html'"
check "html carries the text report" grep -qF 'cuInit returned' "$T/r.html"
if [ -z "$browser" ]; then skip "$name" "chromium not installed (apt-get install chromium)"; exit 0; fi
# Chromium wants a writable home and refuses its sandbox as root.
HOME=$T timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
	--user-data-dir="$T/chrome" --virtual-time-budget=5000 --dump-dom \
	"file://$T/r.html" >"$T/dom.html" 2>"$T/chrome.log"
drawn=$(sed -n 's/.*id="drawn" data-drawn="\([0-9]*\)".*/\1/p' "$T/dom.html")
if [ -z "$drawn" ]; then
	fail "$name" "no drawn count in the DOM (script did not run?): $(head -c 300 "$T/dom.html") $(grep -v dbus "$T/chrome.log" | tail -3)"
	exit 0
fi
expect_eq "$name: every call drawn" "$drawn" "$calls"
painted=$(sed -n 's/.*data-painted="\([0-9]*\)".*/\1/p' "$T/dom.html")
check "html timeline painted the calls ($painted coloured pixels)" test "${painted:-0}" -gt 1000
