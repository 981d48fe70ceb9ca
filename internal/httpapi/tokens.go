package httpapi

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/vodq/vodq/internal/config"
)

// LoadTokens returns the tokens of list followed by those of file (when
// file is not empty): one per line, surrounding spaces trimmed, blank lines
// and lines starting with # skipped. Errors name the file, never a token.
func LoadTokens(list []string, file string) ([]string, error) {
	var out []string
	for _, t := range list {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	if file == "" {
		return out, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%s_API_TOKENS_FILE: read tokens: %w", config.Prefix, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s_API_TOKENS_FILE: read %s: %w", config.Prefix, file, err)
	}
	return out, nil
}
