module github.com/go-openai-webhooks/webhooks/benchmarks

go 1.26.0

require (
	github.com/go-openai-webhooks/webhooks v0.0.0
	github.com/openai/openai-go/v3 v3.96.0
	github.com/standard-webhooks/standard-webhooks/libraries v0.0.1
)

require (
	github.com/coder/websocket v1.8.15 // indirect
	github.com/tidwall/gjson v1.20.0 // indirect
	github.com/tidwall/match v1.1.1 // indirect
	github.com/tidwall/pretty v1.2.1 // indirect
	github.com/tidwall/sjson v1.2.5 // indirect
)

replace github.com/go-openai-webhooks/webhooks => ../
