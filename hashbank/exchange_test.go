package hashbank

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"anxin"
)

const (
	hexA = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
	hexB = "358c86641a5269ab5b0db5f1b2315c1642cef9652c39b6ced9f646d91f071927"
)

func mustHash(t testing.TB, s string) Hash256 {
	t.Helper()
	h, err := ParseHash256(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestReadListFormats(t *testing.T) {
	a, b := mustHash(t, hexA), mustHash(t, hexB)
	tests := []struct {
		name   string
		format Format
		in     string
		want   []Entry
	}{
		{"threatexchange csv", FormatThreatExchangeCSV,
			"signal_type,signal_str,collab,category,tags\n" +
				"pdq," + hexA + ",Sample Data,POSITIVE_CLASS,counterfeit brand:acme\n" +
				"HASH_PDQ," + hexB + ",\"Other, Collab\",NEGATIVE_CLASS,\n",
			[]Entry{
				{Line: 2, Hash: a, Category: CategoryPositive, Tags: []string{"counterfeit", "brand:acme"}, Source: "Sample Data"},
				{Line: 3, Hash: b, Category: CategoryNegative, Tags: nil, Source: "Other, Collab"},
			}},
		{"signal file", FormatSignalFile,
			"# exported list\npdq " + hexA + "\n\n  pdq " + strings.ToUpper(hexB) + "  \n",
			[]Entry{{Line: 2, Hash: a, Category: CategoryPositive}, {Line: 4, Hash: b, Category: CategoryPositive}}},
		{"hma", FormatHMA,
			hexA + ",123,456,2021-06-01T12:00:00+0000,media_priority_s1 counterfeit\n" + hexB + ",9,10,,\n",
			[]Entry{
				{Line: 1, Hash: a, Category: CategoryPositive, Tags: []string{"media_priority_s1", "counterfeit"}, Source: "threatexchange descriptor 456", Ref: "123", AddedOn: "2021-06-01T12:00:00+0000"},
				{Line: 2, Hash: b, Category: CategoryPositive, Source: "threatexchange descriptor 10", Ref: "9"},
			}},
	}
	for _, tt := range tests {
		got, err := ReadList(strings.NewReader(tt.in), tt.format)
		if err != nil {
			t.Fatalf("ReadList(%s) = %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ReadList(%s) mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestReadListBadInput(t *testing.T) {
	header := "signal_type,signal_str,collab,category,tags\n"
	tests := []struct {
		name   string
		format Format
		in     string
		want   string // the message's line part
	}{
		{"unknown signal type", FormatThreatExchangeCSV, header + "pdq," + hexA + ",c,,\nmd5,d41d8cd98f00b204e9800998ecf8427e,c,,\n",
			`line 3: signal type "md5" is not supported; only pdq (HASH_PDQ) is`},
		{"short hash", FormatThreatExchangeCSV, header + "pdq," + hexA[:62] + ",c,,\n", "line 2: a PDQ hash is 64 hex digits, not 62 characters"},
		{"not hex", FormatThreatExchangeCSV, header + "pdq," + strings.Repeat("zz", 32) + ",c,,\n", `line 2: the PDQ hash "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz…" is not hexadecimal`},
		{"missing header", FormatThreatExchangeCSV, "pdq," + hexA + ",c,,\n", "line 1: the header must be signal_type,signal_str,collab,category,tags"},
		{"few fields", FormatThreatExchangeCSV, header + "pdq," + hexA + "\n", "line 2: 2 fields; want 5 (signal_type,signal_str,collab,category,tags)"},
		{"bad category", FormatThreatExchangeCSV, header + "pdq," + hexA + ",c,MAYBE,\n", `line 2: category "MAYBE" must be POSITIVE_CLASS, NEGATIVE_CLASS or INVESTIGATION_SEED`},
		{"bad tag", FormatThreatExchangeCSV, header + "pdq," + hexA + ",c,,ok <script>\n", `line 2: tag "<script>" must be 1 to 64 letters, digits or _.:/@-`},
		{"bad quote", FormatThreatExchangeCSV, header + "pdq," + hexA + ",\"c,,\n", "line 2: malformed CSV: extraneous or missing \" in quoted-field"},
		{"no type", FormatSignalFile, "pdq " + hexA + "\n" + hexB + "\n", `line 2: the signal type is missing; write "pdq 358c86641a5269ab5b0db5f1b2315c1642cef965…"`},
		{"video type", FormatSignalFile, "vmd5 " + hexA + "\n", `line 1: signal type "vmd5" is not supported; only pdq (HASH_PDQ) is`},
		{"long hash", FormatSignalFile, "pdq " + hexA + "00\n", "line 1: a PDQ hash is 64 hex digits, not 66 characters"},
		{"long line", FormatSignalFile, "pdq " + strings.Repeat("a", 5000) + "\n", "line 1: longer than 4096 bytes"},
		{"hma fields", FormatHMA, hexA + ",1,2,x\n", "line 1: 4 fields; want 5 (indicator,indicator_id,first_descriptor_id,added_on,labels)"},
		{"hma id", FormatHMA, hexA + ",1,2,x,\n" + hexB + ",abc,2,x,\n", `line 2: indicator_id "abc" must be a number`},
	}
	for _, tt := range tests {
		got, err := ReadList(strings.NewReader(tt.in), tt.format)
		if got != nil || anxin.KindOf(err) != anxin.Invalid {
			t.Errorf("ReadList(%s) = %v, %v; want nil and Invalid", tt.name, got, err)
			continue
		}
		want := "The hash list was refused; nothing was imported. " + tt.want + "."
		if msg := anxin.MessageOf(err); msg != want {
			t.Errorf("ReadList(%s) message = %q; want %q", tt.name, msg, want)
		}
	}
	if _, err := ParseFormat("stix"); anxin.KindOf(err) != anxin.Invalid {
		t.Errorf("ParseFormat(stix) = %v; want Invalid", err)
	}
}

func TestWriteListRoundTrip(t *testing.T) {
	entries := []Entry{
		{Hash: mustHash(t, hexA), Category: CategoryPositive, Tags: []string{"counterfeit", "brand:b1"}, Source: "anxin", Ref: "17"},
		{Hash: mustHash(t, hexB), Category: CategoryInvestigation, Source: "Other, Collab"},
	}
	for _, f := range Formats {
		var buf bytes.Buffer
		if err := WriteList(&buf, f, entries); err != nil {
			t.Fatalf("WriteList(%s) = %v", f, err)
		}
		got, err := ReadList(&buf, f)
		if err != nil {
			t.Fatalf("ReadList(WriteList(%s)) = %v", f, err)
		}
		if len(got) != len(entries) {
			t.Fatalf("ReadList(WriteList(%s)) = %d entries; want %d", f, len(got), len(entries))
		}
		for i, e := range got {
			if e.Hash != entries[i].Hash {
				t.Errorf("%s entry %d hash = %s; want %s", f, i, e.Hash.Hex(), entries[i].Hash.Hex())
			}
			switch f {
			case FormatThreatExchangeCSV:
				if e.Source != entries[i].Source || e.Category != entries[i].Category || !cmp.Equal(e.Tags, entries[i].Tags) {
					t.Errorf("%s entry %d = %+v; want source, category and tags of %+v", f, i, e, entries[i])
				}
			case FormatHMA:
				if !cmp.Equal(e.Tags, entries[i].Tags) {
					t.Errorf("%s entry %d tags = %v; want %v", f, i, e.Tags, entries[i].Tags)
				}
			}
		}
	}
}

// FuzzReadList: any input either parses into valid entries that survive a
// write and re-read, or is refused with an Invalid error naming a line.
func FuzzReadList(f *testing.F) {
	f.Add(0, "signal_type,signal_str,collab,category,tags\npdq,"+hexA+",c,POSITIVE_CLASS,a b\n")
	f.Add(1, "pdq "+hexA+"\n# c\n")
	f.Add(2, hexA+",1,2,x,a\n")
	f.Add(1, "pdq "+hexA[:10]+"\n")
	f.Fuzz(func(t *testing.T, fi int, in string) {
		format := Formats[((fi%3)+3)%3]
		got, err := ReadList(strings.NewReader(in), format)
		if err != nil {
			var ae *anxin.Error
			if !errors.As(err, &ae) || ae.Kind != anxin.Invalid || !strings.Contains(ae.Message, "line ") {
				t.Fatalf("ReadList(%s) error = %v; want Invalid naming a line", format, err)
			}
			return
		}
		var buf bytes.Buffer
		if err := WriteList(&buf, format, got); err != nil {
			t.Fatal(err)
		}
		again, err := ReadList(&buf, format)
		if err != nil || len(again) != len(got) {
			t.Fatalf("re-read of written list = %d, %v; want %d entries", len(again), err, len(got))
		}
	})
}

func TestKnownImagesAndEntryOf(t *testing.T) {
	a, b, c := mustHash(t, hexA), mustHash(t, hexB), Hash256{1}
	entries := []Entry{
		{Hash: a, Category: CategoryPositive, Tags: []string{"x"}, Source: "Collab", Ref: "7"},
		{Hash: b, Category: CategoryInvestigation, Source: "Collab"},
		{Hash: c, Category: CategoryNegative, Source: "Collab"},
	}
	items, skipped := KnownImages(entries, "counterfeit", "b1", "shared")
	want := []anxin.KnownImage{
		{PDQ: hexA, Label: "counterfeit", BrandID: "b1", Note: "shared", Tags: []string{"x"}, Source: "Collab", SourceRef: "7"},
		{PDQ: hexB, Label: "counterfeit", BrandID: "b1", Note: "shared", Tags: []string{"category:INVESTIGATION_SEED"}, Source: "Collab"},
	}
	if diff := cmp.Diff(want, items); diff != "" || skipped != 1 {
		t.Fatalf("KnownImages skipped %d (want 1), mismatch (-want +got):\n%s", skipped, diff)
	}
	for i, wantEntry := range []Entry{
		{Hash: a, Category: CategoryPositive, Tags: []string{"counterfeit", "brand:b1", "x"}, Source: "Collab", Ref: "7"},
		{Hash: b, Category: CategoryInvestigation, Tags: []string{"counterfeit", "brand:b1"}, Source: "Collab"},
	} {
		got, err := EntryOf(items[i])
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantEntry, got); diff != "" {
			t.Errorf("EntryOf(item %d) mismatch (-want +got):\n%s", i, diff)
		}
	}
	if e, _ := EntryOf(anxin.KnownImage{PDQ: hexA, Label: "brand_owned"}); e.Source != "anxin" || !cmp.Equal(e.Tags, []string{"brand_owned"}) {
		t.Errorf("EntryOf(local item) = %+v; want source anxin, tags [brand_owned]", e)
	}
	if _, err := EntryOf(anxin.KnownImage{PDQ: "zz"}); anxin.KindOf(err) != anxin.Invalid {
		t.Errorf("EntryOf(bad hash) = %v; want Invalid", err)
	}
}
