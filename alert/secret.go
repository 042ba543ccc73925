package alert

import "log/slog"

// Secret is the HMAC key that signs deliveries. It prints, formats and logs
// as "[REDACTED]", so a Config can be logged without leaking it. A []byte
// value assigns to it directly.
type Secret []byte

const redacted = "[REDACTED]"

// String implements fmt.Stringer without revealing the key.
func (Secret) String() string { return redacted }

// GoString implements fmt.GoStringer without revealing the key.
func (Secret) GoString() string { return redacted }

// LogValue implements slog.LogValuer without revealing the key.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText implements encoding.TextMarshaler without revealing the key,
// so JSON or YAML dumps of a Config stay safe.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
