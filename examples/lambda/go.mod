module github.com/go-openai-webhooks/webhooks/examples/lambda

go 1.27

require (
	github.com/aws/aws-lambda-go v1.55.1
	github.com/go-openai-webhooks/webhooks v0.1.0
)

require github.com/standard-webhooks/standard-webhooks/libraries v0.0.1 // indirect
