package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

func writeKubeconfig(path, server string, caPEM []byte, u tokenUser) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kube-control-plane"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caPEM}
	cfg.AuthInfos[u.name] = &clientcmdapi.AuthInfo{Token: u.token}
	cfg.Contexts["kube-control-plane"] = &clientcmdapi.Context{Cluster: "kube-control-plane", AuthInfo: u.name, Namespace: "default"}
	cfg.CurrentContext = "kube-control-plane"
	return clientcmd.WriteToFile(*cfg, path)
}

func httpClient(caPEM []byte) *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}
}

// poll calls check every 200ms until it returns true, ctx ends, or a component exits.
func poll(ctx context.Context, exited <-chan error, check func() (bool, string)) error {
	last := ""
	for {
		ok, why := check()
		if ok {
			return nil
		}
		last = why
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready: %s", last)
		case err := <-exited:
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func get(client *http.Client, url, token string) (int, string) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	return res.StatusCode, strings.TrimSpace(string(body))
}

// waitReady waits for /readyz (every post-start hook, RBAC bootstrap roles included) and the default namespace.
func waitReady(ctx context.Context, server string, caPEM []byte, token string, exited <-chan error) error {
	client := httpClient(caPEM)
	return poll(ctx, exited, func() (bool, string) {
		code, body := get(client, server+"/readyz", token)
		if code != http.StatusOK {
			return false, fmt.Sprintf("/readyz %d %s", code, body)
		}
		code, body = get(client, server+"/api/v1/namespaces/default", token)
		return code == http.StatusOK, fmt.Sprintf("GET namespace default %d %s", code, body)
	})
}

// waitControllerManager polls the controller manager's own /healthz (always allowed without
// authentication; it serves a certificate it made itself, so it is not verified here, on loopback).
func waitControllerManager(ctx context.Context, healthz string, exited <-chan error) error {
	client := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // loopback, self-signed by the controller manager
	}
	return poll(ctx, exited, func() (bool, string) {
		res, err := client.Get(healthz)
		if err != nil {
			return false, err.Error()
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		return res.StatusCode == http.StatusOK, fmt.Sprintf("%s %d %s", healthz, res.StatusCode, strings.TrimSpace(string(body)))
	})
}

// installCRDs creates (or updates) every CustomResourceDefinition found in the YAML files of dirs and
// waits until each is Established and NamesAccepted.
func installCRDs(ctx context.Context, kubeconfig string, dirs []string) error {
	if len(dirs) == 0 {
		return nil
	}
	restConfig, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	restConfig.QPS = 100
	restConfig.Burst = 200
	client, err := apiextensionsclient.NewForConfig(restConfig)
	if err != nil {
		return err
	}
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		if err != nil {
			return err
		}
		sort.Strings(files)
		if len(files) == 0 {
			return fmt.Errorf("no *.yaml in %s", dir)
		}
		for _, file := range files {
			found, err := readCRDs(file)
			if err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
			crds = append(crds, found...)
		}
	}
	api := client.ApiextensionsV1().CustomResourceDefinitions()
	for _, crd := range crds {
		_, err := api.Create(ctx, crd, metav1.CreateOptions{FieldManager: "kube-control-plane"})
		if apierrors.IsAlreadyExists(err) {
			current, getErr := api.Get(ctx, crd.Name, metav1.GetOptions{})
			if getErr != nil {
				return getErr
			}
			crd.ResourceVersion = current.ResourceVersion
			_, err = api.Update(ctx, crd, metav1.UpdateOptions{FieldManager: "kube-control-plane"})
		}
		if err != nil {
			return fmt.Errorf("CRD %s: %w", crd.Name, err)
		}
	}
	for _, crd := range crds {
		name := crd.Name
		err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			current, err := api.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, nil //nolint:nilerr // retried until the deadline
			}
			established, accepted := false, false
			for _, c := range current.Status.Conditions {
				if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
					established = true
				}
				if c.Type == apiextensionsv1.NamesAccepted && c.Status == apiextensionsv1.ConditionTrue {
					accepted = true
				}
			}
			return established && accepted, nil
		})
		if err != nil {
			return fmt.Errorf("CRD %s not established: %w", name, err)
		}
	}
	return nil
}

func readCRDs(file string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	decoder := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	var out []*apiextensionsv1.CustomResourceDefinition
	for {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := decoder.Decode(crd); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if crd.Kind == "" {
			continue
		}
		if crd.Kind != "CustomResourceDefinition" {
			return nil, fmt.Errorf("kind %q is not CustomResourceDefinition", crd.Kind)
		}
		out = append(out, crd)
	}
}
