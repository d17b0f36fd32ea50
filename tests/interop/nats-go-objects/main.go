// nats-go-objects: NATS's own object store (nats.go, as the `nats object`
// tools use it) on a bucket the nas-sync `nats` transport wrote.
//
//	nats-go-objects URL BUCKET               lists and reads every object:
//	                                         "name size bytes-read sha256-hex" per line
//	nats-go-objects URL BUCKET NAME SIZE     also stores NAME: SIZE bytes, byte i = i % 251
//
// nats.go checks each object's SHA-256 digest as it reads it; a mismatch is
// printed as an error and makes the exit status 1.
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"strconv"

	"github.com/nats-io/nats.go"
)

func main() {
	if len(os.Args) != 3 && len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: nats-go-objects URL BUCKET [NAME SIZE]")
		os.Exit(2)
	}
	nc, err := nats.Connect(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "connect:", err)
		os.Exit(1)
	}
	defer nc.Close()
	js, err := nc.JetStream()
	if err != nil {
		fmt.Fprintln(os.Stderr, "jetstream:", err)
		os.Exit(1)
	}
	obs, err := js.ObjectStore(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "object store:", err)
		os.Exit(1)
	}
	status := 0
	objects, err := obs.List()
	if err != nil && err != nats.ErrNoObjectsFound {
		fmt.Fprintln(os.Stderr, "list:", err)
		os.Exit(1)
	}
	for _, o := range objects {
		data, err := obs.GetBytes(o.Name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "get", o.Name+":", err)
			status = 1
			continue
		}
		fmt.Printf("%s %d %d %x\n", o.Name, o.Size, len(data), sha256.Sum256(data))
	}
	if len(os.Args) == 5 {
		size, err := strconv.Atoi(os.Args[4])
		if err != nil {
			fmt.Fprintln(os.Stderr, "size:", err)
			os.Exit(2)
		}
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i % 251)
		}
		if _, err := obs.PutBytes(os.Args[3], data); err != nil {
			fmt.Fprintln(os.Stderr, "put:", err)
			os.Exit(1)
		}
	}
	os.Exit(status)
}
