module github.com/go-openai-webhooks/webhooks/benchmarks

go 1.27

require (
	github.com/go-openai-webhooks/webhooks v0.1.0
	github.com/openai/openai-go/v3 v3.102.0
	github.com/standard-webhooks/standard-webhooks/libraries v0.0.1
)

require (
	github.com/coder/websocket v1.8.15 // indirect
	github.com/tidwall/gjson v1.20.0 // indirect
	github.com/tidwall/match v1.1.1 // indirect
	github.com/tidwall/pretty v1.2.1 // indirect
	github.com/tidwall/sjson v1.2.5 // indirect
)
