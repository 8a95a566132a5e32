package store

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/jackc/pgx/v5/pgconn"
)

// Kinds of store errors, for errors.Is. Every error of Wrap also matches the original cause
// (errors.As reaches a *pgconn.PgError), and a cancellation matches context.Canceled.
var (
	ErrUnreachable     = errors.New("store unreachable")
	ErrTimeout         = errors.New("query timed out")
	ErrCanceled        = errors.New("query cancelled")
	ErrMissingRelation = errors.New("relation or column missing")
	ErrAuth            = errors.New("authentication failed")
	ErrPermission      = errors.New("permission denied")
)

// Error is a store error whose text a user can read: short, prefixed with the store's label,
// never holding a password or a connection string.
type Error struct {
	msg   string
	kinds []error
	cause error
}

func (e *Error) Error() string { return e.msg }

func (e *Error) Unwrap() []error { return append(append([]error{}, e.kinds...), e.cause) }

// Wrap turns an error of pgx, pgconn or the network into a downstream error a user can act on.
// It returns nil for nil and an error it already wrapped unchanged.
func (s *Store) Wrap(err error) error {
	if err == nil {
		return nil
	}
	var done *Error
	if errors.As(err, &done) {
		return err
	}
	return backend.DownstreamError(s.classify(err))
}

// wrapCtx prefers what happened to ctx over what the driver made of it: a cancelled request
// reads as cancelled even when PostgreSQL answered the cancel request with an error.
func (s *Store) wrapCtx(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var done *Error
	if errors.As(err, &done) {
		return err
	}
	switch ctx.Err() {
	case context.Canceled:
		return backend.DownstreamError(s.canceled(err))
	case context.DeadlineExceeded:
		return backend.DownstreamError(s.timedOut(err, ""))
	}
	return s.Wrap(err)
}

func (s *Store) newError(cause error, kinds []error, format string, args ...any) *Error {
	return &Error{msg: s.label + ": " + fmt.Sprintf(format, args...), kinds: kinds, cause: cause}
}

func (s *Store) canceled(cause error) *Error {
	return s.newError(cause, []error{ErrCanceled, context.Canceled}, "query cancelled")
}

func (s *Store) timedOut(cause error, what string) *Error {
	return s.newError(cause, []error{ErrTimeout, context.DeadlineExceeded},
		"query timed out after %s%s (queryTimeoutSeconds)", seconds(s.timeout), what)
}

func seconds(d time.Duration) string {
	return fmt.Sprintf("%gs", d.Seconds())
}

func (s *Store) classify(err error) *Error {
	var pgErr *pgconn.PgError
	var connErr *pgconn.ConnectError
	switch {
	case errors.Is(err, context.Canceled):
		return s.canceled(err)
	case errors.As(err, &pgErr):
		return s.serverError(pgErr)
	case errors.As(err, &connErr):
		return s.newError(err, []error{ErrUnreachable}, "cannot connect to %s: %s", s.addr, s.connectReason(err))
	case errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err):
		return s.timedOut(err, "")
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, pgconn.ErrConnClosed) || isNetError(err):
		return s.newError(err, []error{ErrUnreachable}, "connection to %s lost", s.addr)
	}
	return s.newError(err, nil, "%s", err.Error())
}

// sessionEnded reports the error of a pooled session the server had closed (shut down, restarted,
// or terminated it), as opposed to one of connecting or of the statement itself.
func sessionEnded(err error) bool {
	var connErr *pgconn.ConnectError
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &connErr):
		return false
	case errors.As(err, &pgErr):
		return pgErr.Code == "57P01" || pgErr.Code == "57P02" // admin_shutdown, crash_shutdown
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func isNetError(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr)
}

// serverError words an error PostgreSQL reported (SQLSTATE codes, Appendix A of its manual).
func (s *Store) serverError(e *pgconn.PgError) *Error {
	msg := strings.ReplaceAll(e.Message, `"`, "")
	hint := fmt.Sprintf(" (check %sSchema and the data contract)", s.key)
	switch e.Code {
	case "57014": // query_canceled: statement_timeout, or our cancel request
		if strings.Contains(e.Message, "statement timeout") {
			return s.timedOut(e, "")
		}
		return s.canceled(e)
	case "55P03": // lock_not_available: lock_timeout
		return s.timedOut(e, " waiting for a lock")
	case "42P01", "42703", "3F000": // undefined table, column, schema: 'relation shop.orders does not exist'
		return s.newError(e, []error{ErrMissingRelation}, "%s%s", msg, hint)
	case "28P01", "28000": // wrong password, no pg_hba.conf entry
		return s.newError(e, []error{ErrAuth}, "%s", msg)
	case "42501": // insufficient_privilege
		return s.newError(e, []error{ErrPermission}, "%s (grant SELECT on the schema's relations to user %s)", msg, s.user)
	case "3D000", "53300", "57P03": // no such database, too many connections, starting up
		return s.newError(e, []error{ErrUnreachable}, "cannot connect to %s: %s", s.addr, msg)
	case "57P01", "57P02": // server shut down or crashed
		return s.newError(e, []error{ErrUnreachable}, "connection to %s lost: %s", s.addr, msg)
	}
	return s.newError(e, nil, "%s (SQLSTATE %s)", msg, e.Code)
}

// connectReason says why a connection attempt failed, in a few words.
func (s *Store) connectReason(err error) string {
	var dnsErr *net.DNSError
	var errno syscall.Errno
	var netErr net.Error
	switch {
	case errors.As(err, &dnsErr):
		return "host " + dnsErr.Name + " not found"
	case errors.As(err, &errno):
		return errno.Error()
	case certificateError(err) != nil:
		return "TLS certificate rejected: " + certificateError(err).Error() + fmt.Sprintf(" (check %sSslMode and %sTlsCACert)", s.key, s.key)
	case strings.Contains(err.Error(), "server refused TLS connection"):
		return fmt.Sprintf("the server does not accept TLS (set %sSslMode to disable if that is intended)", s.key)
	case errors.As(err, &netErr) && netErr.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "no answer in time"
	}
	return innermost(err).Error()
}

// certificateError is the x509 verdict on the server's certificate, without the layers of pgconn
// and crypto/tls around it (they repeat the address and the phase of the handshake).
func certificateError(err error) error {
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknownAuthority):
		return unknownAuthority
	case errors.As(err, &hostname):
		return hostname
	case errors.As(err, &invalid):
		return invalid
	}
	return nil
}

func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
