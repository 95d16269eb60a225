package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/component-base/version"
)

// readyReport is printed (one JSON line on stdout) and written to DIR/control-plane.json once the
// API server answers /readyz, the CRDs are established and the controller manager is running.
type readyReport struct {
	Ready       bool              `json:"ready"`
	Version     string            `json:"version"`
	Server      string            `json:"server"`
	CAFile      string            `json:"caFile"`
	Kubeconfig  string            `json:"kubeconfig"`
	Kubeconfigs map[string]string `json:"kubeconfigs"`
	Etcd        string            `json:"etcd"`
	Pid         int               `json:"pid"`
	LogDir      string            `json:"logDir"`
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func kubernetesVersion() string { return version.Get().GitVersion }

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "kube-control-plane: "+format+"\n", args...)
}

func runControlPlane(args []string) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	dir := fs.String("dir", "", "state directory (certificates, etcd data, logs, kubeconfigs); created if missing")
	host := fs.String("host", "127.0.0.1", "loopback address every component binds")
	tokenFile := fs.String("token-file", "", "extra static tokens, kube-apiserver CSV format: token,user,uid,\"group1,group2\"")
	exitOnStdin := fs.Bool("exit-on-stdin-close", false, "stop when stdin reaches EOF (the parent process went away)")
	port := fs.Int("port", 0, "kube-apiserver's secure port (0 = a free one)")
	startTimeout := fs.Duration("start-timeout", 4*time.Minute, "give up when the control plane is not ready by then")
	var crdDirs stringList
	fs.Var(&crdDirs, "crds", "directory of CustomResourceDefinition YAML files to install before reporting ready (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dir == "" {
		logf("--dir is required")
		return 2
	}
	if ip := net.ParseIP(*host); ip == nil || !ip.IsLoopback() {
		logf("--host %q is not a loopback address; the test control plane only binds loopback", *host)
		return 2
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		logf("%v", err)
		return 1
	}
	cp := &controlPlane{dir: abs, host: *host, port: *port}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if *exitOnStdin {
		ctx = cancelOnStdinClose(ctx)
	}
	err = cp.start(ctx, *startTimeout, crdDirs, *tokenFile)
	if err == nil {
		err = cp.wait(ctx)
	}
	cp.shutdown()
	if err != nil && !errors.Is(err, context.Canceled) {
		logf("%v", err)
		return 1
	}
	return 0
}

func cancelOnStdinClose(parent context.Context) context.Context {
	ctx, cancel := context.WithCancel(parent)
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	return ctx
}

type controlPlane struct {
	dir, host string
	port      int
	etcd      *embed.Etcd
	children  []*child
	exited    chan error
}

type child struct {
	name    string
	process *os.Process
	done    chan struct{}
}

// kubeconfigPath is DIR/kubeconfig/<user>.yaml, with ':' in the user name written as '_'.
func (cp *controlPlane) kubeconfigPath(user string) string {
	return cp.path("kubeconfig", strings.ReplaceAll(user, ":", "_")+".yaml")
}

func (cp *controlPlane) path(parts ...string) string {
	return filepath.Join(append([]string{cp.dir}, parts...)...)
}

func (cp *controlPlane) start(ctx context.Context, timeout time.Duration, crdDirs []string, extraTokens string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, d := range []string{"", "pki", "logs", "kubeconfig"} {
		if err := os.MkdirAll(cp.path(d), 0o700); err != nil {
			return err
		}
	}
	pki, err := writePKI(cp.path("pki"), cp.host)
	if err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	users, err := writeTokens(cp.path("pki", "tokens.csv"), extraTokens)
	if err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	etcdURL, err := cp.startEtcd()
	if err != nil {
		return fmt.Errorf("etcd: %w", err)
	}
	cp.exited = make(chan error, 4)

	port := cp.port
	if port == 0 {
		if port, err = freePort(cp.host); err != nil {
			return err
		}
	}
	server := "https://" + net.JoinHostPort(cp.host, strconv.Itoa(port))
	if err := cp.spawn("kube-apiserver", apiserverArgs(cp, pki, etcdURL, port)); err != nil {
		return err
	}
	for _, u := range users {
		if err := writeKubeconfig(cp.kubeconfigPath(u.name), server, pki.caPEM, u); err != nil {
			return err
		}
	}
	admin := users[0]
	if err := waitReady(ctx, server, pki.caPEM, admin.token, cp.exited); err != nil {
		return fmt.Errorf("kube-apiserver: %w (log: %s)", err, cp.path("logs", "kube-apiserver.log"))
	}
	if err := installCRDs(ctx, cp.kubeconfigPath(admin.name), crdDirs); err != nil {
		return fmt.Errorf("CRDs: %w", err)
	}
	kcmPort, err := freePort(cp.host)
	if err != nil {
		return err
	}
	if err := cp.spawn("kube-controller-manager", controllerManagerArgs(cp, kcmPort)); err != nil {
		return err
	}
	kcmHealthz := "https://" + net.JoinHostPort(cp.host, strconv.Itoa(kcmPort)) + "/healthz"
	if err := waitControllerManager(ctx, kcmHealthz, cp.exited); err != nil {
		return fmt.Errorf("kube-controller-manager: %w (log: %s)", err, cp.path("logs", "kube-controller-manager.log"))
	}

	report := readyReport{
		Ready:       true,
		Version:     kubernetesVersion(),
		Server:      server,
		CAFile:      pki.caFile,
		Kubeconfig:  cp.kubeconfigPath(admin.name),
		Kubeconfigs: map[string]string{},
		Etcd:        etcdURL,
		Pid:         os.Getpid(),
		LogDir:      cp.path("logs"),
	}
	for _, u := range users {
		report.Kubeconfigs[u.name] = cp.kubeconfigPath(u.name)
	}
	line, err := json.Marshal(report)
	if err != nil {
		return err
	}
	if err := os.WriteFile(cp.path("control-plane.json"), append(line, '\n'), 0o600); err != nil {
		return err
	}
	fmt.Println(string(line))
	return nil
}

// wait blocks until the context ends (signal, stdin EOF) or a component exits on its own, which is an error.
func (cp *controlPlane) wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case err := <-cp.exited:
		return err
	case err := <-cp.etcd.Err():
		return fmt.Errorf("etcd stopped: %w", err)
	}
}

func (cp *controlPlane) shutdown() {
	// Controller manager first, then the API server, then etcd, as a cluster drains.
	for i := len(cp.children) - 1; i >= 0; i-- {
		c := cp.children[i]
		_ = c.process.Signal(syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(15 * time.Second):
			_ = c.process.Kill()
			<-c.done
		}
	}
	if cp.etcd != nil {
		cp.etcd.Close()
	}
}

func (cp *controlPlane) spawn(name string, args []string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	logPath := cp.path("logs", name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(self, append([]string{name}, args...)...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Dir = cp.dir
	// The children die with this process even when it is killed without a chance to clean up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, process: cmd.Process, done: make(chan struct{})}
	cp.children = append(cp.children, c)
	go func() {
		err := cmd.Wait()
		_ = logFile.Close()
		close(c.done)
		select {
		case cp.exited <- fmt.Errorf("%s exited: %v (log: %s)", name, err, logPath):
		default:
		}
	}()
	return nil
}

func (cp *controlPlane) startEtcd() (string, error) {
	clientPort, err := freePort(cp.host)
	if err != nil {
		return "", err
	}
	peerPort, err := freePort(cp.host)
	if err != nil {
		return "", err
	}
	clientURL := url.URL{Scheme: "http", Host: net.JoinHostPort(cp.host, strconv.Itoa(clientPort))}
	peerURL := url.URL{Scheme: "http", Host: net.JoinHostPort(cp.host, strconv.Itoa(peerPort))}
	cfg := embed.NewConfig()
	cfg.Name = "test"
	cfg.Dir = cp.path("etcd")
	cfg.ListenClientUrls = []url.URL{clientURL}
	cfg.AdvertiseClientUrls = []url.URL{clientURL}
	cfg.ListenPeerUrls = []url.URL{peerURL}
	cfg.AdvertisePeerUrls = []url.URL{peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.LogLevel = "error"
	cfg.LogOutputs = []string{cp.path("logs", "etcd.log")}
	// Test data: nothing needs to survive a crash, and fsync is the slowest part on a shared disk.
	cfg.UnsafeNoFsync = true
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return "", err
	}
	cp.etcd = e
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(60 * time.Second):
		e.Server.Stop()
		return "", errors.New("etcd took longer than 60s to start")
	}
	return clientURL.String(), nil
}

func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func apiserverArgs(cp *controlPlane, pki *pkiFiles, etcdURL string, port int) []string {
	return []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=" + cp.host,
		"--advertise-address=" + cp.host,
		"--secure-port=" + strconv.Itoa(port),
		"--tls-cert-file=" + pki.servingCert,
		"--tls-private-key-file=" + pki.servingKey,
		"--client-ca-file=" + pki.caFile,
		"--token-auth-file=" + cp.path("pki", "tokens.csv"),
		"--authorization-mode=RBAC",
		// The default plugin set of this release, named so the webhooks are visibly on.
		"--enable-admission-plugins=NamespaceLifecycle,ServiceAccount,ResourceQuota," +
			"MutatingAdmissionWebhook,ValidatingAdmissionPolicy,ValidatingAdmissionWebhook",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + pki.saKey,
		"--service-account-signing-key-file=" + pki.saKey,
		"--service-cluster-ip-range=10.96.0.0/24",
		"--allow-privileged=false",
		"--profiling=false",
		"--enable-priority-and-fairness=false",
		"--endpoint-reconciler-type=none",
		// No identity lease renewals every 10s: between two test steps nothing writes unless asked.
		"--feature-gates=APIServerIdentity=false",
		// Compact etcd often so a watch from an old resourceVersion gets 410 Gone as on a busy cluster.
		"--etcd-compaction-interval=1m",
		"--v=1",
	}
}

func controllerManagerArgs(cp *controlPlane, port int) []string {
	kubeconfig := cp.kubeconfigPath(controllerManagerUser)
	return []string{
		"--kubeconfig=" + kubeconfig,
		// Foreground deletion and ownerReference cascades need the garbage collector; namespace deletion
		// needs the namespace controller. Nothing else runs: no pods, nodes or service accounts here.
		"--controllers=garbage-collector-controller,namespace-controller",
		"--leader-elect=false",
		"--bind-address=" + cp.host,
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + cp.path("pki", "kube-controller-manager"),
		"--use-service-account-credentials=false",
		"--concurrent-gc-syncs=5",
		"--concurrent-namespace-syncs=2",
		"--namespace-sync-period=1m",
		"--v=1",
	}
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

type tokenUser struct {
	name, token string
}

const (
	adminUser             = "kube-control-plane:admin"
	controllerManagerUser = "system:kube-controller-manager"
)

// writeTokens writes the API server's static token file: a generated token for the admin
// (system:masters) and the controller manager, then every line of the extra file, checked.
// It returns the users in file order (admin first).
func writeTokens(path, extra string) ([]tokenUser, error) {
	var users []tokenUser
	var lines []string
	for _, name := range []string{adminUser, controllerManagerUser} {
		t, err := randomToken()
		if err != nil {
			return nil, err
		}
		users = append(users, tokenUser{name: name, token: t})
		lines = append(lines, fmt.Sprintf("%s,%s,%s,\"system:masters\"", t, name, name))
	}
	if extra != "" {
		f, err := os.Open(extra)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			fields := strings.SplitN(line, ",", 4)
			if len(fields) < 3 || fields[0] == "" || fields[1] == "" {
				return nil, fmt.Errorf("%s:%d: want token,user,uid[,\"groups\"]", extra, n)
			}
			for _, u := range users {
				if u.name == fields[1] {
					return nil, fmt.Errorf("%s:%d: user %q is reserved or repeated", extra, n, fields[1])
				}
			}
			users = append(users, tokenUser{name: fields[1], token: fields[0]})
			lines = append(lines, line)
		}
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	return users, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
}
