package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

func asRole(role anxin.Role, key string) context.Context {
	return anxin.NewContextWithActor(context.Background(), anxin.Actor{KeyID: key, Role: role})
}

var (
	careCtx     = asRole(anxin.RoleCare, "agent_a")
	platformCtx = asRole(anxin.RolePlatform, "platform")
)

func careRunner(db *sqlstore.DB, svc *sqlstore.CareService) *sqlstore.JobRunner {
	r := &sqlstore.JobRunner{DB: db}
	r.Handle(sqlstore.JobCareSLA, svc.HandleSLAJob)
	return r
}

func slaEvents(t *testing.T, db *sqlstore.DB) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), `SELECT ticket_id, kind, event, at FROM care_sla_events ORDER BY at, kind`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, kind, ev string
		var at int64
		rows.Scan(&id, &kind, &ev, &at)
		out = append(out, kind+" "+ev+" "+sqlstore.FromMS(at).Format("15:04:05"))
	}
	return out
}

func TestCareTicketLifecycle(t *testing.T) {
	start := time.Date(2026, 3, 3, 1, 0, 0, 0, time.UTC) // 09:00 in Shanghai, a Tuesday
	clock := anxintest.NewClock(start)
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(start)
		svc := sqlstore.NewCareService(db)
		if _, err := db.ExecContext(context.Background(), `INSERT INTO orders (id, merchant_id, buyer_id, items, created_at, updated_at) VALUES ('o_1', 'm_1', 'b_1', '[]', 0, 0)`); err != nil {
			t.Fatal(err)
		}
		tk, err := svc.CreateTicket(platformCtx, &anxin.NewTicket{RequesterKind: "buyer", RequesterID: "b_1", MerchantID: "m_1", OrderID: "o_1",
			Subject: "小龙虾到了全是死虾", Body: "泡沫箱里冰袋都化了，发臭了"})
		if err != nil {
			t.Fatal(err)
		}
		if tk.Group != anxin.GroupFreshProduce || tk.RoutedBy != "classifier" || tk.Status != anxin.TicketOpen {
			t.Fatalf("CreateTicket routed to %s by %s (status %s); want fresh_produce by classifier", tk.Group, tk.RoutedBy, tk.Status)
		}
		fr, _ := clockByKind(tk, anxin.ClockFirstResponse)
		res, _ := clockByKind(tk, anxin.ClockResolution)
		if !fr.DueAt.Equal(start.Add(time.Hour)) || !fr.WarnAt.Equal(start.Add(48*time.Minute)) || !res.DueAt.Equal(start.Add(72*time.Hour)) {
			t.Fatalf("clocks = %+v / %+v", fr, res)
		}
		// Agent answers after 10 minutes and asks for photos.
		clock.Set(start.Add(10 * time.Minute))
		if _, err := svc.Reply(careCtx, tk.ID, anxin.Reply{Body: "请提供照片", Waiting: true}); err != nil {
			t.Fatal(err)
		}
		got, _ := svc.FindTicket(careCtx, tk.ID)
		fr, _ = clockByKind(got, anxin.ClockFirstResponse)
		res, _ = clockByKind(got, anxin.ClockResolution)
		if got.Status != anxin.TicketWaiting || fr.State != anxin.ClockMet || res.State != anxin.ClockPaused || res.ConsumedS != 600 {
			t.Fatalf("after waiting reply: status %s, fr %+v, res %+v", got.Status, fr, res)
		}
		if got.FirstResponseAt == nil || !got.FirstResponseAt.Equal(clock.Now()) || got.AssigneeID != "agent_a" {
			t.Fatalf("first response at %v, assignee %q", got.FirstResponseAt, got.AssigneeID)
		}
		// The buyer answers two hours later: resolution resumes, next response owed.
		clock.Set(start.Add(130 * time.Minute))
		if _, err := svc.Reply(platformCtx, tk.ID, anxin.Reply{Body: "照片已上传"}); err != nil {
			t.Fatal(err)
		}
		got, _ = svc.FindTicket(careCtx, tk.ID)
		res, _ = clockByKind(got, anxin.ClockResolution)
		nr, ok := clockByKind(got, anxin.ClockNextResponse)
		if got.Status != anxin.TicketOpen || !ok || nr.State != anxin.ClockRunning || !nr.DueAt.Equal(clock.Now().Add(4*time.Hour)) {
			t.Fatalf("after customer reply: status %s next-response %+v", got.Status, nr)
		}
		if want := clock.Now().Add(72*time.Hour - 10*time.Minute); !res.DueAt.Equal(want) {
			t.Fatalf("resolution due %v; want %v (paused two hours)", res.DueAt, want)
		}
		if _, err := svc.AddNote(careCtx, tk.ID, "商家同意退款"); err != nil {
			t.Fatal(err)
		}
		if err := svc.AnswerSurvey(platformCtx, tk.ID, 5, ""); anxin.KindOf(err) != anxin.Conflict {
			t.Fatalf("AnswerSurvey before resolution = %v; want Conflict", err)
		}
		clock.Set(start.Add(3 * time.Hour))
		if _, err := svc.Resolve(careCtx, tk.ID, "已退款"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Resolve(careCtx, tk.ID, "again"); anxin.KindOf(err) != anxin.Conflict {
			t.Fatalf("second Resolve = %v; want Conflict", err)
		}
		if err := svc.AnswerSurvey(platformCtx, tk.ID, 6, ""); anxin.KindOf(err) != anxin.Invalid {
			t.Fatalf("AnswerSurvey(6) = %v; want Invalid", err)
		}
		if err := svc.AnswerSurvey(platformCtx, tk.ID, 5, "快"); err != nil {
			t.Fatal(err)
		}
		if err := svc.AnswerSurvey(platformCtx, tk.ID, 1, ""); anxin.KindOf(err) != anxin.Conflict {
			t.Fatalf("second AnswerSurvey = %v; want Conflict", err)
		}
		rep, err := svc.CSAT(careCtx, anxin.Period{From: start, To: start.Add(24 * time.Hour)})
		if err != nil || rep.Overall.Answers != 1 || rep.Overall.CSAT != 1 || len(rep.Groups) != 1 || rep.Groups[0].Key != anxin.GroupFreshProduce {
			t.Fatalf("CSAT = %+v, %v", rep, err)
		}
		msgs, _ := db.OutboxMessages(context.Background(), sqlstore.MsgCareSurveyRequest, 10)
		if len(msgs) != 1 || msgs[0].SubjectID != tk.ID {
			t.Fatalf("survey requests = %v", msgs)
		}
		// Notes are hidden from the merchant; other merchants cannot see it.
		view, err := svc.FindTicket(asRole(anxin.MerchantRole("m_1"), "k"), tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range view.Messages {
			if m.Internal {
				t.Fatalf("merchant sees an internal note: %+v", m)
			}
		}
		if _, err := svc.FindTicket(asRole(anxin.MerchantRole("m_2"), "k"), tk.ID); anxin.KindOf(err) != anxin.NotFound {
			t.Fatalf("FindTicket by another merchant = %v; want NotFound", err)
		}
		if list, _, _ := svc.FindTickets(asRole(anxin.MerchantRole("m_2"), "k"), anxin.TicketFilter{}); len(list) != 0 {
			t.Fatalf("another merchant lists %d tickets", len(list))
		}
	})
}

func clockByKind(t *anxin.Ticket, kind string) (anxin.SLAClock, bool) {
	for _, c := range t.Clocks {
		if c.Kind == kind {
			return c, true
		}
	}
	return anxin.SLAClock{}, false
}

func TestCareSLAEscalationAndBreach(t *testing.T) {
	start := time.Date(2026, 3, 3, 1, 0, 0, 0, time.UTC)
	clock := anxintest.NewClock(start)
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(start)
		ctx := context.Background()
		svc := sqlstore.NewCareService(db)
		tk, err := svc.CreateTicket(platformCtx, &anxin.NewTicket{RequesterKind: "buyer", RequesterID: "b_1", Subject: "refund", Body: "退款还没到账", Group: anxin.GroupPayment})
		if err != nil {
			t.Fatal(err)
		}
		run := func(at time.Duration) {
			clock.Set(start.Add(at))
			if _, err := careRunner(db, svc).RunDue(ctx, 0); err != nil {
				t.Fatal(err)
			}
		}
		run(48*time.Minute - time.Second)
		if ev := slaEvents(t, db); len(ev) != 0 {
			t.Fatalf("events one second before the threshold: %v", ev)
		}
		run(48 * time.Minute)
		if ev := slaEvents(t, db); len(ev) != 1 || ev[0] != "first_response escalated 01:48:00" {
			t.Fatalf("events at the threshold: %v", ev)
		}
		// Escalation boosts the priority one step; the clocks keep their budgets.
		got, _ := svc.FindTicket(careCtx, tk.ID)
		if !got.Escalated || got.Priority != anxin.PriorityHigh {
			t.Fatalf("escalated ticket: escalated=%v priority=%s", got.Escalated, got.Priority)
		}
		// A process restart: new service, new runner, same database.
		svc = sqlstore.NewCareService(db)
		run(59*time.Minute + 59*time.Second)
		if ev := slaEvents(t, db); len(ev) != 1 {
			t.Fatalf("events before the deadline: %v", ev)
		}
		run(2 * time.Hour) // the runner notices late; the breach is dated at the deadline
		run(3 * time.Hour)
		ev := slaEvents(t, db)
		if len(ev) != 2 || ev[1] != "first_response breached 02:00:00" {
			t.Fatalf("events after the deadline: %v", ev)
		}
		msgs, _ := db.OutboxMessages(ctx, sqlstore.MsgCareBreached, 10)
		if len(msgs) != 1 || msgs[0].SubjectID != tk.ID || !strings.Contains(string(msgs[0].Payload), `"first_response"`) {
			t.Fatalf("breach webhooks = %v", msgs)
		}
		// The 72 h resolution clock escalates at 57h36m.
		run(57*time.Hour + 36*time.Minute)
		if ev := slaEvents(t, db); len(ev) != 3 || ev[2] != "resolution escalated 10:36:00" {
			t.Fatalf("resolution escalation: %v", ev)
		}
		due, err := db.DueClocks(ctx, start.Add(100*time.Hour), 10)
		if err != nil || len(due) != 1 || due[0].Kind != anxin.ClockResolution || !due[0].At.Equal(start.Add(72*time.Hour)) {
			t.Fatalf("DueClocks = %v, %v", due, err)
		}
	})
}

// TestCareSLASurvivesReopen closes and reopens the SQLite file between
// scheduling and firing: the breach fires once, from the stored timer.
func TestCareSLASurvivesReopen(t *testing.T) {
	start := time.Date(2026, 3, 3, 1, 0, 0, 0, time.UTC)
	clock := anxintest.NewClock(start)
	path := filepath.Join(t.TempDir(), "anxin.db")
	ctx := context.Background()
	open := func() *sqlstore.DB {
		db, err := sqlstore.Open(ctx, path, clock)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := open()
	svc := sqlstore.NewCareService(db)
	if _, err := svc.CreateTicket(platformCtx, &anxin.NewTicket{RequesterKind: "buyer", RequesterID: "b_9", Body: "账号被盗了", Group: anxin.GroupPrivacySecurity, Priority: "urgent"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	clock.Set(start.Add(15 * time.Minute)) // urgent first response: 15 min
	for i := 0; i < 2; i++ {
		db = open()
		svc = sqlstore.NewCareService(db)
		if _, err := careRunner(db, svc).RunDue(ctx, 0); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	db = open()
	defer db.Close()
	ev := slaEvents(t, db)
	if len(ev) != 2 || ev[0] != "first_response escalated 01:12:00" || ev[1] != "first_response breached 01:15:00" {
		t.Fatalf("events after reopening twice = %v; want one escalation and one breach", ev)
	}
}

func TestCareBadInput(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 1, 0, 0, 0, time.UTC))
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		svc := sqlstore.NewCareService(db)
		sha := strings.Repeat("a", 64)
		cases := []struct {
			name string
			n    anxin.NewTicket
			kind anxin.Kind
			msg  string
		}{
			{"oversized body", anxin.NewTicket{RequesterKind: "buyer", RequesterID: "b", Body: strings.Repeat("退", 6000)}, anxin.TooLarge, "body"},
			{"NUL in body", anxin.NewTicket{RequesterKind: "buyer", RequesterID: "b", Body: "hi\x00there"}, anxin.Invalid, "control character"},
			{"invalid UTF-8", anxin.NewTicket{RequesterKind: "buyer", RequesterID: "b", Body: "\xff\xfe"}, anxin.Invalid, "UTF-8"},
			{"path in attachment", anxin.NewTicket{RequesterKind: "buyer", RequesterID: "b", Body: "x", Attachments: []anxin.Attachment{{Name: "../../etc/passwd", ContentType: "text/plain", Size: 1, SHA256: sha}}}, anxin.Invalid, "plain file name"},
			{"executable attachment", anxin.NewTicket{RequesterKind: "buyer", RequesterID: "b", Body: "x", Attachments: []anxin.Attachment{{Name: "a.exe", ContentType: "application/x-msdownload", Size: 1, SHA256: sha}}}, anxin.Invalid, "content_type"},
			{"huge attachment", anxin.NewTicket{RequesterKind: "buyer", RequesterID: "b", Body: "x", Attachments: []anxin.Attachment{{Name: "a.mp4", ContentType: "video/mp4", Size: 1 << 40, SHA256: sha}}}, anxin.TooLarge, "20 MiB"},
			{"too many attachments", anxin.NewTicket{RequesterKind: "buyer", RequesterID: "b", Body: "x", Attachments: make([]anxin.Attachment, 11)}, anxin.TooLarge, "10 attachments"},
			{"bad requester", anxin.NewTicket{RequesterKind: "alien", RequesterID: "b", Body: "x"}, anxin.Invalid, "requester_kind"},
			{"bad group", anxin.NewTicket{RequesterKind: "buyer", RequesterID: "b", Body: "x", Group: "sales"}, anxin.Invalid, "skill group"},
			{"hostile id", anxin.NewTicket{RequesterKind: "buyer", RequesterID: "b'; DROP TABLE care_tickets;--", Body: "x"}, anxin.Invalid, "requester_id"},
			{"empty", anxin.NewTicket{RequesterKind: "buyer", RequesterID: "b"}, anxin.Invalid, "required"},
		}
		for _, tt := range cases {
			_, err := svc.CreateTicket(platformCtx, &tt.n)
			if anxin.KindOf(err) != tt.kind || !strings.Contains(anxin.MessageOf(err), tt.msg) {
				t.Errorf("CreateTicket(%s) = %v; want %s mentioning %q", tt.name, err, tt.kind, tt.msg)
			}
		}
		var n int64
		db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM care_tickets`).Scan(&n)
		if n != 0 {
			t.Fatalf("%d tickets stored after rejected input", n)
		}
		cal := anxin.Calendar{ID: "cs", Name: "overlap", TimeZone: "Asia/Shanghai"}
		cal.Hours[1] = [][2]int{{540, 720}, {600, 900}}
		if err := svc.PutCalendar(careCtx, &cal); anxin.KindOf(err) != anxin.Invalid || !strings.Contains(anxin.MessageOf(err), "overlapping") {
			t.Fatalf("PutCalendar(overlap) = %v", err)
		}
		empty := anxin.Calendar{ID: "cs", Name: "empty"}
		if err := svc.PutCalendar(careCtx, &empty); anxin.KindOf(err) != anxin.Invalid || !strings.Contains(anxin.MessageOf(err), "empty") {
			t.Fatalf("PutCalendar(empty) = %v", err)
		}
		cals, _ := svc.FindCalendars(careCtx)
		if len(cals) != 2 {
			t.Fatalf("calendars after rejected puts = %d; want the 2 defaults", len(cals))
		}
		if err := svc.PutGroup(careCtx, &anxin.SkillGroup{ID: anxin.GroupIP, CalendarID: "nope", Targets: map[string]anxin.SLATarget{}}); anxin.KindOf(err) != anxin.Invalid {
			t.Fatalf("PutGroup(no targets) = %v; want Invalid", err)
		}
		if _, err := svc.CreateTicket(asRole(anxin.RoleQuality, "q"), &anxin.NewTicket{RequesterKind: "buyer", RequesterID: "b", Body: "x"}); anxin.KindOf(err) != anxin.Forbidden {
			t.Fatalf("CreateTicket as quality = %v; want Forbidden", err)
		}
	})
}

func TestCareAssignTransferMerge(t *testing.T) {
	start := time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC) // Friday 17:00 in Shanghai
	clock := anxintest.NewClock(start)
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(start)
		svc := sqlstore.NewCareService(db)
		groups, err := svc.FindGroups(careCtx)
		if err != nil || len(groups) != 12 {
			t.Fatalf("FindGroups = %d, %v; want 12 defaults", len(groups), err)
		}
		g := *groups[0] // after_sales
		g.Agents = []string{"ann", "bob", "cat"}
		if err := svc.PutGroup(careCtx, &g); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for i := 0; i < 4; i++ {
			tk, err := svc.CreateTicket(platformCtx, &anxin.NewTicket{RequesterKind: "buyer", RequesterID: "b_1", Body: "退款 " + strconv.Itoa(i), Group: anxin.GroupAfterSales})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, tk.ID)
		}
		var got []string
		for _, id := range ids[:3] {
			tk, err := svc.Assign(careCtx, id, "", "round_robin")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, tk.AssigneeID)
		}
		if strings.Join(got, ",") != "ann,bob,cat" {
			t.Fatalf("round robin = %v", got)
		}
		svc.Assign(careCtx, ids[3], "ann", "")
		tk, err := svc.Assign(careCtx, ids[1], "", "least_loaded") // bob's own ticket moves: bob has 0 then, ann 2, cat 1
		if err != nil || tk.AssigneeID != "bob" {
			t.Fatalf("least loaded = %v, %v; want bob", tk.AssigneeID, err)
		}
		if _, err := svc.Assign(careCtx, ids[0], "", "random"); anxin.KindOf(err) != anxin.Invalid {
			t.Fatalf("Assign(random) = %v; want Invalid", err)
		}
		// Transfer to IP (business hours): Friday 17:00 → 1 h left today, so
		// the 60-min first-response clock, re-planned, falls due Friday 18:00.
		tk, err = svc.Transfer(careCtx, ids[0], anxin.GroupIP, "rights holder")
		if err != nil {
			t.Fatal(err)
		}
		fr, _ := clockByKind(tk, anxin.ClockFirstResponse)
		if tk.Group != anxin.GroupIP || !fr.DueAt.Equal(start.Add(time.Hour)) || tk.AssigneeID != "" {
			t.Fatalf("after transfer: group %s, due %v, assignee %q", tk.Group, fr.DueAt, tk.AssigneeID)
		}
		// Thirty minutes later on the business calendar: 30 min consumed, due Monday 09:30.
		clock.Set(start.Add(30 * time.Minute))
		svc.SetWaiting(careCtx, ids[0], true)
		clock.Set(start.Add(50 * time.Hour))
		tk, _ = svc.SetWaiting(careCtx, ids[0], false) // Sunday 11:00 local: closed until Monday 09:00
		fr, _ = clockByKind(tk, anxin.ClockFirstResponse)
		mon := time.Date(2026, 3, 9, 1, 30, 0, 0, time.UTC)
		if fr.ConsumedS != 1800 || !fr.DueAt.Equal(mon) {
			t.Fatalf("resumed on the weekend: consumed %d due %v; want 1800 and %v", fr.ConsumedS, fr.DueAt, mon)
		}
		if _, err := svc.Merge(careCtx, ids[2], ids[2]); anxin.KindOf(err) != anxin.Invalid {
			t.Fatalf("Merge into itself = %v", err)
		}
		if tk, err = svc.Merge(careCtx, ids[2], ids[3]); err != nil || tk.Status != anxin.TicketMerged || tk.MergedInto != ids[3] {
			t.Fatalf("Merge = %+v, %v", tk, err)
		}
		if _, err := svc.Reply(careCtx, ids[2], anxin.Reply{Body: "x"}); anxin.KindOf(err) != anxin.Conflict {
			t.Fatalf("Reply on merged = %v; want Conflict", err)
		}
		if _, err := svc.Merge(careCtx, ids[1], ids[2]); anxin.KindOf(err) != anxin.Conflict {
			t.Fatalf("Merge into merged = %v; want Conflict", err)
		}
		// Training on confirmed labels stores a model the next tickets use.
		st, err := svc.TrainClassifier(careCtx)
		if err != nil || st.Source != "seed+tickets" || st.Accuracy <= 0.5 || st.Test == 0 {
			t.Fatalf("TrainClassifier = %+v, %v", st, err)
		}
		if got, err := svc.ClassifierStats(careCtx); err != nil || got.Train != st.Train {
			t.Fatalf("ClassifierStats = %+v, %v", got, err)
		}
		tk, err = svc.CreateTicket(platformCtx, &anxin.NewTicket{RequesterKind: "buyer", RequesterID: "b_2", Body: "快递三天了还没收到包裹"})
		if err != nil || tk.Group != anxin.GroupLogistics {
			t.Fatalf("routing with the trained model: %v, %v", tk.Group, err)
		}
	})
}

// TestDueClocksUsesIndex checks that finding due clocks is an index range
// scan on SQLite, whatever the table size.
func TestDueClocksUsesIndex(t *testing.T) {
	db := sqltest.OpenSQLite(t, nil)
	rows, err := db.QueryContext(context.Background(), `EXPLAIN QUERY PLAN SELECT c.ticket_id, t.grp, c.kind, c.next_at FROM care_clocks c JOIN care_tickets t ON t.id = c.ticket_id
		WHERE c.next_at <= ? ORDER BY c.next_at LIMIT ?`, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var a, b, c int
		var d string
		rows.Scan(&a, &b, &c, &d)
		plan = append(plan, d)
	}
	if !strings.Contains(strings.Join(plan, "|"), "USING INDEX care_clocks_next") {
		t.Fatalf("DueClocks plan = %v; want an index search on care_clocks_next", plan)
	}
}

// BenchmarkDueClocks fills care_clocks with open tickets' clocks (100,000
// by default; ANXIN_BENCH_CLOCKS=1000000 for the million) and compares the
// indexed due lookup with the same query forced into a table scan.
func BenchmarkDueClocks(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("ANXIN_BENCH_CLOCKS")); err == nil && v > 0 {
		n = v
	}
	db := sqltest.OpenSQLite(b, nil)
	ctx := context.Background()
	base := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	err := db.Transact(ctx, func(tx *sqlstore.Tx) error {
		tx.ExecContext(ctx, `INSERT INTO care_calendars (id, def, updated_at) VALUES ('24x7', '{}', 0)`)
		tx.ExecContext(ctx, `INSERT INTO care_groups (id, name, calendar_id, targets, warn_at_bp, updated_at) VALUES ('payment', 'p', '24x7', '{}', 8000, 0)`)
		st, err := tx.PrepareContext(ctx, `INSERT INTO care_tickets (id, requester_kind, requester_id, grp, priority, status, routed_by, created_at, updated_at)
			VALUES (?, 'buyer', 'b', 'payment', 'normal', 'open', 'request', 0, 0)`)
		if err != nil {
			return err
		}
		sc, err := tx.PrepareContext(ctx, `INSERT INTO care_clocks (ticket_id, kind, state, budget_s, next_at) VALUES (?, 'resolution', 'running', 259200, ?)`)
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("t%08d", i)
			if _, err := st.ExecContext(ctx, id); err != nil {
				return err
			}
			// due times spread over 30 days, in a scrambled order
			if _, err := sc.ExecContext(ctx, id, sqlstore.MS(base.Add(time.Duration(i*7919%n)*30*24*time.Hour/time.Duration(n)))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	before := base.Add(time.Hour)
	b.Run("index", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.DueClocks(ctx, before, 100); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("scan", func(b *testing.B) {
		for b.Loop() {
			rows, err := db.QueryContext(ctx, `SELECT c.ticket_id, t.grp, c.kind, c.next_at FROM care_clocks c JOIN care_tickets t ON t.id = c.ticket_id
				WHERE c.next_at + 0 <= ? ORDER BY c.next_at + 0 LIMIT 100`, sqlstore.MS(before))
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
			}
			rows.Close()
		}
	})
}
