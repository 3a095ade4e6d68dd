# Sourced by the Dockerfile tests.  df_instructions FILE: its
# instructions one a line, comments dropped, continuation lines joined.
df_instructions() {
	grep -v '^[[:space:]]*#' "$1" |
		sed -e ':a' -e '/\\$/{N;s/\\\n[[:space:]]*/ /;ba' -e '}' |
		grep -v '^[[:space:]]*$'
}
