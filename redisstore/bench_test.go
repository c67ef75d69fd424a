package redisstore_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/redisstore"
)

// scriptClaim is how the Store claimed before it used SET NX GET: a Lua
// script, kept here to measure what the plain command saves.
var scriptClaim = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
if redis.call('GET', KEYS[1]) == ARGV[3] then return 2 end
return 1`)

// BenchmarkDelivery measures the store's part of one delivery, a claim and
// a done, in wall time and in Redis's own CPU time (INFO commandstats), with
// the claim as the Store makes it and as a script.
func BenchmarkDelivery(b *testing.B) {
	ctx := context.Background()
	client := testClient(b)
	prefix := testPrefix(b, client)
	store := redisstore.New(client, redisstore.WithKeyPrefix(prefix))
	claims := map[string]func(id string) error{
		"claim=SET_NX_GET": func(id string) error {
			_, err := store.Claim(ctx, id, "token", webhooks.DefaultLease)
			return err
		},
		"claim=script": func(id string) error {
			return scriptClaim.Run(ctx, client, []string{prefix + id}, "token", webhooks.DefaultLease.Milliseconds(), ":processed").Err()
		},
	}
	for _, name := range []string{"claim=SET_NX_GET", "claim=script"} {
		claim := claims[name]
		b.Run(name, func(b *testing.B) {
			client.ConfigResetStat(ctx)
			run, n := time.Now().UnixNano(), 0
			for b.Loop() {
				id := fmt.Sprintf("%s-%d-%d", name, run, n)
				n++
				if err := claim(id); err != nil {
					b.Fatal(err)
				}
				if err := store.Done(ctx, id, "token", time.Minute); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(redisMicros(b, client)/float64(n), "redis-µs/delivery")
		})
	}
}

// redisMicros returns the microseconds Redis spent in commands since its
// statistics were reset.
func redisMicros(b *testing.B, client *redis.Client) float64 {
	info, err := client.Info(context.Background(), "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	total := 0.0
	for line := range strings.SplitSeq(info, "\r\n") {
		_, stats, ok := strings.Cut(line, ":")
		if !strings.HasPrefix(line, "cmdstat_") || !ok || strings.HasPrefix(line, "cmdstat_config") {
			continue
		}
		for field := range strings.SplitSeq(stats, ",") {
			if v, ok := strings.CutPrefix(field, "usec="); ok {
				us, _ := strconv.ParseFloat(v, 64)
				total += us
			}
		}
	}
	return total
}
