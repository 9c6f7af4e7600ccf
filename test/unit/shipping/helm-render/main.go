// helm-render: a stand-in for `helm template` where no helm binary exists. It runs the chart's
// templates through Go's text/template (the engine Helm uses) with the few Sprig/Helm functions the
// hookpost chart calls, so template syntax, includes, missing values ("<no value>") and `fail`
// checks are exercised for real. It is not Helm: toYaml is a small block-style emitter, and only the
// functions below exist. Used by test/unit/shipping/helm-render.test.ts when `go` is installed.
//
// Usage: helm-render <chartDir> <values.json> <chart.json> <release> <namespace>
// Values and Chart.yaml come in as JSON, decoded as Helm decodes values (numbers are float64).
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
)

type Files struct{ root string }

func (f Files) Get(name string) string {
	b, err := os.ReadFile(filepath.Join(f.root, name))
	if err != nil {
		return ""
	}
	return string(b)
}

func strval(v interface{}) string {
	switch s := v.(type) {
	case string:
		return s
	case nil:
		return ""
	default:
		return fmt.Sprintf("%v", v)
	}
}

func empty(v interface{}) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return rv.Len() == 0
	case reflect.Bool:
		return !rv.Bool()
	case reflect.Float32, reflect.Float64:
		return rv.Float() == 0
	case reflect.Int, reflect.Int64:
		return rv.Int() == 0
	}
	return false
}

func toInt(v interface{}) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case string:
		i, _ := strconv.Atoi(n)
		return i
	}
	return 0
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_./-]+$`)

func yamlScalar(v interface{}) string {
	switch s := v.(type) {
	case string:
		if s == "" || !plainKey.MatchString(s) || s == "true" || s == "false" || s == "null" || regexp.MustCompile(`^[0-9.+-eE]+$`).MatchString(s) {
			b, _ := json.Marshal(s)
			return string(b)
		}
		return s
	case nil:
		return "null"
	case float64:
		return strconv.FormatFloat(s, 'f', -1, 64)
	default:
		return fmt.Sprintf("%v", v)
	}
}

func toYaml(v interface{}) string {
	var b strings.Builder
	emit(&b, v, 0)
	return strings.TrimSuffix(b.String(), "\n")
}

func emit(b *strings.Builder, v interface{}, indent int) {
	pad := strings.Repeat(" ", indent)
	switch t := v.(type) {
	case map[string]interface{}:
		if len(t) == 0 {
			b.WriteString(pad + "{}\n")
			return
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			child := t[k]
			switch c := child.(type) {
			case map[string]interface{}:
				if len(c) == 0 {
					b.WriteString(pad + yamlScalar(k) + ": {}\n")
					continue
				}
				b.WriteString(pad + yamlScalar(k) + ":\n")
				emit(b, c, indent+2)
			case []interface{}:
				if len(c) == 0 {
					b.WriteString(pad + yamlScalar(k) + ": []\n")
					continue
				}
				b.WriteString(pad + yamlScalar(k) + ":\n")
				emit(b, c, indent)
			default:
				b.WriteString(pad + yamlScalar(k) + ": " + yamlScalar(c) + "\n")
			}
		}
	case []interface{}:
		if len(t) == 0 {
			b.WriteString(pad + "[]\n")
			return
		}
		for _, item := range t {
			var sub strings.Builder
			emit(&sub, item, 0)
			lines := strings.Split(strings.TrimSuffix(sub.String(), "\n"), "\n")
			for i, line := range lines {
				if i == 0 {
					b.WriteString(pad + "- " + line + "\n")
				} else {
					b.WriteString(pad + "  " + line + "\n")
				}
			}
		}
	default:
		b.WriteString(pad + yamlScalar(v) + "\n")
	}
}

func main() {
	if len(os.Args) != 6 {
		fmt.Fprintln(os.Stderr, "usage: helm-render <chartDir> <values.json> <chart.json> <release> <namespace>")
		os.Exit(2)
	}
	chartDir, valuesFile, chartFile, release, namespace := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5]
	var values map[string]interface{}
	raw, err := os.ReadFile(valuesFile)
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(raw, &values); err != nil {
		panic(err)
	}
	var chartMeta map[string]interface{}
	cm, err := os.ReadFile(chartFile)
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(cm, &chartMeta); err != nil {
		panic(err)
	}

	root := template.New("root")
	funcs := template.FuncMap{
		"include": func(name string, data interface{}) (string, error) {
			var buf bytes.Buffer
			err := root.ExecuteTemplate(&buf, name, data)
			return buf.String(), err
		},
		"toYaml": toYaml,
		"nindent": func(n int, s string) string {
			p := strings.Repeat(" ", n)
			return "\n" + p + strings.ReplaceAll(s, "\n", "\n"+p)
		},
		"indent": func(n int, s string) string {
			p := strings.Repeat(" ", n)
			return p + strings.ReplaceAll(s, "\n", "\n"+p)
		},
		"quote": func(vs ...interface{}) string {
			out := []string{}
			for _, v := range vs {
				if v != nil {
					out = append(out, strconv.Quote(strval(v)))
				}
			}
			return strings.Join(out, " ")
		},
		"default": func(d interface{}, given ...interface{}) interface{} {
			if len(given) == 0 || empty(given[0]) {
				return d
			}
			return given[0]
		},
		"trunc": func(n int, s string) string {
			if len(s) > n {
				return s[:n]
			}
			return s
		},
		"trimSuffix": func(suf, s string) string { return strings.TrimSuffix(s, suf) },
		"contains":   func(sub, s string) bool { return strings.Contains(s, sub) },
		"replace":    func(old, new, s string) string { return strings.ReplaceAll(s, old, new) },
		"sha256sum":  func(s string) string { return fmt.Sprintf("%x", sha256.Sum256([]byte(s))) },
		"b64enc":     func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
		"join": func(sep string, v interface{}) string {
			out := []string{}
			if l, ok := v.([]interface{}); ok {
				for _, x := range l {
					out = append(out, strval(x))
				}
			}
			return strings.Join(out, sep)
		},
		"list": func(v ...interface{}) []interface{} { return v },
		"dict": func(v ...interface{}) map[string]interface{} {
			m := map[string]interface{}{}
			for i := 0; i+1 < len(v); i += 2 {
				m[strval(v[i])] = v[i+1]
			}
			return m
		},
		"hasKey":     func(m map[string]interface{}, k string) bool { _, ok := m[k]; return ok },
		"regexMatch": func(re, s string) bool { return regexp.MustCompile(re).MatchString(s) },
		"atoi":       func(s string) int { i, _ := strconv.Atoi(s); return i },
		"int":        toInt,
		"toString":   strval,
		"fail":       func(msg string) (string, error) { return "", errors.New(msg) },
	}
	root.Funcs(funcs)
	tplDir := filepath.Join(chartDir, "templates")
	entries, _ := os.ReadDir(tplDir)
	names := []string{}
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(tplDir, e.Name()))
		name := "hookpost/templates/" + e.Name()
		if _, err := root.New(name).Parse(string(b)); err != nil {
			fmt.Fprintln(os.Stderr, "PARSE ERROR:", err)
			os.Exit(3)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if strings.HasPrefix(filepath.Base(name), "_") {
			continue
		}
		data := map[string]interface{}{
			"Values":   values,
			"Release":  map[string]interface{}{"Name": release, "Namespace": namespace, "Service": "Helm"},
			"Chart":    map[string]interface{}{"Name": chartMeta["name"], "Version": chartMeta["version"], "AppVersion": chartMeta["appVersion"]},
			"Files":    Files{root: chartDir},
			"Template": map[string]interface{}{"Name": name, "BasePath": "hookpost/templates"},
		}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, data); err != nil {
			fmt.Fprintln(os.Stderr, "RENDER ERROR:", err)
			os.Exit(4)
		}
		fmt.Printf("---\n# Source: %s\n%s\n", name, buf.String())
	}
}
