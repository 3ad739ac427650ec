// Command crowd is a target program of the ebpf receiver's tests for the
// kernel's table of calls in flight: it keeps many calls open at once, and
// ends goroutines inside calls that then never return.
//
//	GET /hold?n=N    starts N goroutines that each stay in main.hold; answers once all are in
//	GET /release     lets them return; answers once all have
//	GET /goexit?n=N  starts N goroutines that end inside main.leave (runtime.Goexit); answers once they have
//	GET /recover?n=N starts N goroutines that call main.boom twice, each time leaving it through a
//	                 panic their caller recovers; answers once they have ended
//	GET /preempt?n=N on one P, two goroutines each spin and then call main.resumed, N times: the
//	                 scheduler's preemption request is taken in resumed's prologue, which runs
//	                 its entry again when the goroutine is scheduled back, the other's spin later
//	                 (run with GODEBUG=asyncpreemptoff=1, so that a preemption requested while a
//	                 goroutine spins waits for the next function prologue)
package main

import (
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"
)

//go:noinline
func hold(release <-chan struct{}, in *sync.WaitGroup) {
	in.Done()
	<-release
}

//go:noinline
func leave() {
	runtime.Goexit()
}

// boom panics when asked to (it needs a RET to be probed).
//
//go:noinline
func boom(fail bool) {
	if fail {
		panic("boom")
	}
}

// survive recovers boom's panic: boom's call never returns, and the
// goroutine goes on.
//
//go:noinline
func survive() {
	defer func() { recover() }()
	boom(true)
}

type crowd struct {
	mu      sync.Mutex
	release chan struct{}
	out     sync.WaitGroup
}

func (c *crowd) hold(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.URL.Query().Get("n"))
	c.mu.Lock()
	defer c.mu.Unlock()
	var in sync.WaitGroup
	in.Add(n)
	c.out.Add(n)
	for range n {
		go func() {
			defer c.out.Done()
			hold(c.release, &in)
		}()
	}
	in.Wait()
}

func (c *crowd) releaseAll(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	close(c.release)
	c.out.Wait()
	c.release = make(chan struct{})
}

// inGoroutines runs f in n goroutines and waits until they have ended.
func inGoroutines(n int, f func()) {
	var gone sync.WaitGroup
	gone.Add(n)
	for range n {
		go func() {
			defer gone.Done()
			f()
		}()
	}
	gone.Wait()
}

func goexit(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.URL.Query().Get("n"))
	inGoroutines(n, leave)
}

func recoverTwice(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.URL.Query().Get("n"))
	inGoroutines(n, func() {
		survive()
		survive()
	})
}

// spin busies its goroutine for n rounds without a preemption check: it
// is a leaf with a small frame, which the compiler leaves without one.
//
//go:noinline
func spin(n int) int {
	x := 0
	for i := range n {
		x = x*31 + i
	}
	return x
}

// resumed calls spin, so its prologue checks the stack guard.
//
//go:noinline
func resumed() int { return spin(1) }

// spinPerMs is how many rounds of spin take a millisecond here.
var spinPerMs int

func preempt(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.URL.Query().Get("n"))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	// The scheduler asks a goroutine that ran 10 ms to yield; its monitor
	// looks at most every 10 ms.
	inGoroutines(2, func() {
		for range n {
			spin(30 * spinPerMs)
			resumed()
		}
	})
}

func main() {
	const rounds = 1 << 24
	start := time.Now()
	spin(rounds)
	spinPerMs = int(rounds / max(time.Since(start).Milliseconds(), 1))
	c := &crowd{release: make(chan struct{})}
	http.HandleFunc("GET /hold", c.hold)
	http.HandleFunc("GET /release", c.releaseAll)
	http.HandleFunc("GET /goexit", goexit)
	http.HandleFunc("GET /recover", recoverTwice)
	http.HandleFunc("GET /preempt", preempt)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println("listening on", ln.Addr())
	http.Serve(ln, nil)
}
