package http

import (
	"errors"
	"io"
	"log/slog"
	"net/http"

	"anxin"
	"anxin/hashbank"
)

// Hash-list exchange: whole hash banks in and out in the formats of
// ThreatExchange and Hasher-Matcher-Actioner. Both routes are the
// operator's (anxin.ActionExchangeHashBank).

func (s *Server) registerHashListRoutes() {
	s.handle("POST /v1/hashbank:import", s.api(s.handleHashListImport))
	s.handle("GET /v1/hashbank/export", s.api(s.handleHashListExport))
}

// handleHashListImport reads a hash list from the raw body (format, label,
// brand_id and note in the query) and stores it whole or not at all.
func (s *Server) handleHashListImport(w http.ResponseWriter, r *http.Request) error {
	if err := anxin.Authorize(r.Context(), anxin.ActionExchangeHashBank); err != nil {
		return err
	}
	q := r.URL.Query()
	format, err := hashbank.ParseFormat(q.Get("format"))
	if err != nil {
		return err
	}
	entries, err := hashbank.ReadList(r.Body, format)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return anxin.Errorf(anxin.TooLarge, "The list is larger than %d bytes; import it with \"anxin hashbank import\".", mbe.Limit)
		}
		return err
	}
	if len(entries) == 0 {
		return anxin.Errorf(anxin.Invalid, "The list holds no hashes.")
	}
	items, skipped := hashbank.KnownImages(entries, q.Get("label"), q.Get("brand_id"), q.Get("note"))
	res, err := s.HashLists.Import(r.Context(), items, skipped)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// handleHashListExport streams the bank's PDQ entries in the format asked.
func (s *Server) handleHashListExport(w http.ResponseWriter, r *http.Request) error {
	if err := anxin.Authorize(r.Context(), anxin.ActionExchangeHashBank); err != nil {
		return err
	}
	q := r.URL.Query()
	format, err := hashbank.ParseFormat(q.Get("format"))
	if err != nil {
		return err
	}
	filter := anxin.HashExportFilter{Label: q.Get("label"), BrandID: q.Get("brand_id")}
	contentType, name := "text/csv; charset=utf-8", "hashbank.csv"
	if format == hashbank.FormatSignalFile {
		contentType, name = "text/plain; charset=utf-8", "hashbank.txt"
	}
	// Headers go out with the first entry, so that an error before it (a
	// bad filter) is still an ordinary error response.
	lazy := &lazyWriter{w: w, start: func() {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		w.Header().Set("X-Content-Type-Options", "nosniff")
	}}
	lw, err := hashbank.NewListWriter(lazy, format)
	if err != nil {
		return err
	}
	err = s.HashLists.Export(r.Context(), filter, func(k anxin.KnownImage) error {
		e, err := hashbank.EntryOf(k)
		if err != nil {
			return err
		}
		return lw.Write(e)
	})
	if err == nil {
		err = lw.Flush()
	}
	if err == nil && !lazy.started { // an empty list still has its headers
		lazy.started = true
		lazy.start()
	}
	if err != nil && lazy.started {
		// Part of the list is out; all that is left is to cut it short.
		s.Logger.ErrorContext(r.Context(), "hash list export cut short", slog.String("error", err.Error()))
		panic(http.ErrAbortHandler)
	}
	return err
}

// lazyWriter calls start before its first write.
type lazyWriter struct {
	w       io.Writer
	start   func()
	started bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.start()
	}
	return l.w.Write(p)
}
