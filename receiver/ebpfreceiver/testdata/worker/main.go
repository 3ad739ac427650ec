// Command worker is a Go program without net/http: the ebpf receiver can
// only trace it through configured functions.
package main

import (
	"fmt"
	"time"
)

//go:noinline
func step(i int) int {
	time.Sleep(5 * time.Millisecond)
	return i + 1
}

func main() {
	fmt.Println("ready")
	for i := 0; ; i = step(i) {
	}
}
