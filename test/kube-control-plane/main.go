// Command kube-control-plane is a Kubernetes control plane for the k0rdent MCP server's tests, in the
// spirit of controller-runtime's envtest: embedded etcd, the real kube-apiserver and a
// kube-controller-manager limited to the garbage collector and namespace controllers.
//
// One binary, three roles (as the old hyperkube did):
//
//	kube-control-plane run --dir DIR [--crds DIR]... [--token-file FILE] [--host 127.0.0.1]
//	kube-control-plane kube-apiserver [kube-apiserver flags]          (started by run)
//	kube-control-plane kube-controller-manager [its flags]            (started by run)
//
// `run` keeps etcd in its own process and starts the two components as child processes of the same
// binary, so their global flags, feature gates and metrics registries stay apart as in a real cluster.
// When everything is ready it prints one JSON line (see readyReport) on stdout and writes the same to
// DIR/control-plane.json. SIGTERM/SIGINT (or EOF on stdin with --exit-on-stdin-close) stops it all.
package main

import (
	"fmt"
	"os"
	_ "time/tzdata"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func usage() {
	fmt.Fprintln(os.Stderr, "usage: kube-control-plane run --dir DIR [--crds DIR]... [--token-file FILE] [--host 127.0.0.1] [--exit-on-stdin-close]")
	fmt.Fprintln(os.Stderr, "       kube-control-plane kube-apiserver|kube-controller-manager [flags]  (internal; started by run)")
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	role, args := os.Args[1], os.Args[2:]
	switch role {
	case "run":
		os.Exit(runControlPlane(args))
	case "kube-apiserver":
		cmd := apiserver.NewAPIServerCommand()
		cmd.SetArgs(args)
		os.Exit(cli.Run(cmd))
	case "kube-controller-manager":
		cmd := controllermanager.NewControllerManagerCommand()
		cmd.SetArgs(args)
		os.Exit(cli.Run(cmd))
	case "version":
		fmt.Println(kubernetesVersion())
	default:
		usage()
		os.Exit(2)
	}
}
