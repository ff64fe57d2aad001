// gai-go: resolve one name with Go's pure-Go resolver and print one JSON line in the same
// shape as gai.c: {"name","result","eai","ipv4","ipv6","elapsed_ms"}.
//
// Usage: gai-go [-4] [-a] NAME   (-a is accepted and ignored: Go has no AI_ADDRCONFIG)
//
// Go has no EAI_* codes; the *net.DNSError is mapped to the nearest getaddrinfo code:
//   IsNotFound (NXDOMAIN, or no records of any asked type)  -> EAI_NONAME
//   IsTimeout (no answer before the deadline)               -> EAI_AGAIN
//   IsTemporary (SERVFAIL, server misbehaving)              -> EAI_AGAIN
//   anything else                                           -> EAI_FAIL
// The raw Go error text is printed in "error".
// Built with CGO_ENABLED=0 by dnsdoctor.lab.build; standard library only.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

type result struct {
	Name      string   `json:"name"`
	Result    string   `json:"result"`
	EAI       *string  `json:"eai"`
	IPv4      []string `json:"ipv4"`
	IPv6      []string `json:"ipv6"`
	ElapsedMS int64    `json:"elapsed_ms"`
	Error     string   `json:"error,omitempty"`
}

func main() {
	network := "ip"
	var name string
	for _, a := range os.Args[1:] {
		switch a {
		case "-4":
			network = "ip4"
		case "-a":
		default:
			name = a
		}
	}
	if name == "" {
		fmt.Fprintln(os.Stderr, "usage: gai-go [-4] [-a] NAME")
		os.Exit(2)
	}
	start := time.Now()
	ips, err := net.DefaultResolver.LookupIP(context.Background(), network, name)
	r := result{Name: name, IPv4: []string{}, IPv6: []string{}}
	r.ElapsedMS = time.Since(start).Milliseconds()
	if err != nil {
		code := "EAI_FAIL"
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			switch {
			case dnsErr.IsNotFound:
				code = "EAI_NONAME"
			case dnsErr.IsTimeout, dnsErr.IsTemporary:
				code = "EAI_AGAIN"
			}
		}
		r.Result = "error"
		r.EAI = &code
		r.Error = err.Error()
	} else {
		r.Result = "ok"
		for _, ip := range ips {
			if ip4 := ip.To4(); ip4 != nil {
				r.IPv4 = append(r.IPv4, ip4.String())
			} else {
				r.IPv6 = append(r.IPv6, ip.String())
			}
		}
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
}
