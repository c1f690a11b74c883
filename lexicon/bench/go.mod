module anxin/lexicon/bench

go 1.26.8

require (
	anxin v0.0.0
	github.com/cloudflare/ahocorasick v0.0.0-20240916140611-054963ec9396
	github.com/coregx/ahocorasick v0.3.1
	github.com/petar-dambovaliev/aho-corasick v0.0.0-20250424160509-463d218d4745
)

require golang.org/x/text v0.44.0 // indirect

replace anxin => ../..
