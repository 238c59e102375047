echo one two three | wc -w | sed "s/^/piped: /"
