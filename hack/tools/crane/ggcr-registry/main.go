// Command ggcr-registry serves go-containerregistry's registry (pkg/registry) with its OCI referrers
// API turned on, which `crane registry serve` leaves off: blobs in a directory, manifests and tags
// in memory, plain HTTP.
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// source is the hash of this file, set by hack/tools/build.sh so that a change to it makes a new build.
var source = "unknown"

func main() {
	address := flag.String("address", "127.0.0.1:0", "address to listen on")
	disk := flag.String("disk", "", "directory to store blobs in (in memory if empty)")
	flag.Parse()

	blobs := registry.NewInMemoryBlobHandler()
	if *disk != "" {
		if err := os.MkdirAll(*disk, 0o755); err != nil {
			log.Fatal(err)
		}
		blobs = registry.NewDiskBlobHandler(*disk)
	}
	listener, err := net.Listen("tcp", *address)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("go-containerregistry %s (source %s) serving on %s", ggcrVersion(), source, listener.Addr())
	server := &http.Server{
		ReadHeaderTimeout: 5 * time.Second,
		Handler:           registry.New(registry.WithBlobHandler(blobs), registry.WithReferrersSupport(true)),
	}
	log.Fatal(server.Serve(listener))
}

func ggcrVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/google/go-containerregistry" {
				return dep.Version
			}
		}
	}
	return "unknown"
}
