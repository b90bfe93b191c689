package motorig

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// ExampleConfig is the committed example configuration, relative to the
// repository root. WriteConfig starts from it.
const ExampleConfig = "orgbaseline.example.yaml"

const configHeader = "# Configuration for the emulated organization on the local moto server\n" +
	"# (shared/local/motorig): " + ExampleConfig + " with the seeded account IDs and regions.\n\n"

// WriteConfig writes to path an orgbaseline configuration for org: a copy of
// orgbaseline.example.yaml (comments included) in which the management,
// security and log-archive account IDs, homeRegion and regions are
// replaced; every other setting stays as in the example. regions empty means
// just homeRegion. The written file is loaded with settings.LoadFile before
// WriteConfig returns, and an error is returned if it does not load or does
// not hold org's account IDs.
func WriteConfig(path string, org Org, homeRegion string, regions []string) error {
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	src := filepath.Join(root, ExampleConfig)
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("motorig: read example configuration: %w", err)
	}
	if len(regions) == 0 {
		regions = []string{homeRegion}
	}
	out, err := rewriteConfig(data, org, homeRegion, regions)
	if err != nil {
		return fmt.Errorf("motorig: %s: %w", src, err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return fmt.Errorf("motorig: write configuration: %w", err)
	}

	c, err := settings.LoadFile(path)
	if err != nil {
		return fmt.Errorf("motorig: the configuration written to %s does not load: %w", path, err)
	}
	got := [4]string{c.Accounts.Management, c.Accounts.Security, c.Accounts.LogArchive, c.OrganizationID}
	want := [4]string{org.Management, org.Security, org.LogArchive, org.ID}
	if got != want {
		return fmt.Errorf("motorig: the configuration written to %s has accounts and organization %v, want %v", path, got, want)
	}
	return nil
}

// rewriteConfig replaces the account IDs, the organization ID and the
// regions in the YAML document
// data, keeping its other content and comments.
func rewriteConfig(data []byte, org Org, homeRegion string, regions []string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a YAML mapping")
	}
	top := doc.Content[0]
	for _, f := range []struct {
		path  []string
		value string
	}{
		{[]string{"accounts", "management"}, org.Management},
		{[]string{"accounts", "security"}, org.Security},
		{[]string{"accounts", "logArchive"}, org.LogArchive},
		{[]string{"organizationId"}, org.ID},
		{[]string{"homeRegion"}, homeRegion},
	} {
		n, err := lookup(top, f.path...)
		if err != nil {
			return nil, err
		}
		if n.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("%v is not a scalar", f.path)
		}
		n.Value = f.value
	}

	n, err := lookup(top, "regions")
	if err != nil {
		return nil, err
	}
	// Keep the node, and so its comments; replace its value by the list.
	n.Kind, n.Tag, n.Value, n.Style, n.Content = yaml.SequenceNode, "!!seq", "", 0, nil
	for _, r := range regions {
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: r})
	}

	var buf bytes.Buffer
	buf.WriteString(configHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// lookup finds the value node at a path of mapping keys.
func lookup(n *yaml.Node, path ...string) (*yaml.Node, error) {
	for i, key := range path {
		if n.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%v is not a mapping", path[:i])
		}
		var next *yaml.Node
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == key {
				next = n.Content[j+1]
				break
			}
		}
		if next == nil {
			return nil, fmt.Errorf("no setting %v", path[:i+1])
		}
		n = next
	}
	return n, nil
}
