package http

import (
	"net/http"
	"slices"
	"strings"

	"anxin"
)

// routeAccess is the one table of who may call each /v1/ route. A route is
// open to every role that holds at least one of its actions (anxin.Can), so
// the roles follow the permission policy in package anxin: a new role is one
// grant line there and appears here, in the OpenAPI document (x-roles and
// the "Roles:" sentence) and in the matrix test without further edits.
//
// The api middleware refuses a role outside the table with 403 before the
// handler runs. Handlers and services still check their own action and the
// record scope (a merchant sees only its own orders, answered 404 elsewhere),
// so the table is a gate in front of those checks, never a replacement.
//
// A nil action list means any authenticated key. A /v1/ route missing from
// the table is refused (fail closed) and fails TestAccessTableCoversRoutes.
var routeAccess = map[string][]anxin.Action{
	"GET /v1/whoami": nil,

	"GET /v1/sanctions":                          {anxin.ActionReadSanctions},
	"POST /v1/sanctions":                         {anxin.ActionIssueSanctions},
	"GET /v1/sanctions/{id}":                     {anxin.ActionReadSanctions},
	"POST /v1/sanctions/{id}/appeals":            {anxin.ActionFileAppeal},
	"POST /v1/hashbank:import":                   {anxin.ActionExchangeHashBank},
	"GET /v1/hashbank/export":                    {anxin.ActionExchangeHashBank},
	"GET /v1/statements/export":                  {anxin.ActionReadStatements},
	"GET /v1/statements/submissions":             {anxin.ActionReadSubmissions},
	"POST /v1/statements/submissions/{id}/retry": {anxin.ActionRetrySubmissions},
	"POST /v1/lexicons/{name}/import":            {anxin.ActionManagePolicy},
	"GET /v1/models/content":                     {anxin.ActionReadGovernance},
	"POST /v1/models/content/train":              {anxin.ActionTrainModel},
	"POST /v1/models/content/examples":           {anxin.ActionTrainModel},
	"POST /v1/models/content/{version}/promote":  {anxin.ActionPromoteModel},

	"GET /v1/keys":         {anxin.ActionManageKeys},
	"POST /v1/keys":        {anxin.ActionManageKeys},
	"DELETE /v1/keys/{id}": {anxin.ActionManageKeys},

	"POST /v1/merchants":     {anxin.ActionWriteMarketplace},
	"POST /v1/influencers":   {anxin.ActionWriteMarketplace},
	"POST /v1/buyers":        {anxin.ActionWriteMarketplace},
	"POST /v1/listings":      {anxin.ActionWriteMarketplace},
	"POST /v1/content":       {anxin.ActionWriteMarketplace},
	"POST /v1/orders":        {anxin.ActionWriteMarketplace},
	"POST /v1/shipments":     {anxin.ActionWriteMarketplace},
	"POST /v1/aftersales":    {anxin.ActionWriteMarketplace},
	"POST /v1/events":        {anxin.ActionWriteMarketplace},
	"GET /v1/merchants":      {anxin.ActionReadMarketplace},
	"GET /v1/listings":       {anxin.ActionReadMarketplace},
	"GET /v1/orders":         {anxin.ActionReadMarketplace},
	"GET /v1/merchants/{id}": {anxin.ActionReadMarketplace},
	"GET /v1/listings/{id}":  {anxin.ActionReadMarketplace},
	"GET /v1/orders/{id}":    {anxin.ActionReadMarketplace},
	"GET /v1/shipments/{id}": {anxin.ActionReadMarketplace},

	"POST /v1/webhooks":                           {anxin.ActionManageWebhooks},
	"GET /v1/webhooks":                            {anxin.ActionManageWebhooks},
	"DELETE /v1/webhooks/{id}":                    {anxin.ActionManageWebhooks},
	"GET /v1/webhooks/deliveries":                 {anxin.ActionManageWebhooks},
	"GET /v1/webhooks/deliveries/{id}/attempts":   {anxin.ActionManageWebhooks},
	"POST /v1/webhooks/deliveries/{id}/redeliver": {anxin.ActionManageWebhooks},
	"GET /v1/jobs":                                {anxin.ActionReadJobs},
	"GET /v1/streams":                             {anxin.ActionReadJobs},
	"GET /v1/report":                              {anxin.ActionReadReport},

	"POST /v1/listings:check":              {anxin.ActionCheck},
	"POST /v1/content:check":               {anxin.ActionCheck},
	"GET /v1/decisions":                    {anxin.ActionReadGovernance},
	"GET /v1/decisions/{id}":               {anxin.ActionCheck, anxin.ActionReadGovernance},
	"GET /v1/lexicons":                     {anxin.ActionReadGovernance},
	"POST /v1/lexicons:test":               {anxin.ActionReadGovernance},
	"GET /v1/lexicons/{name}":              {anxin.ActionReadGovernance},
	"PUT /v1/lexicons/{name}":              {anxin.ActionManagePolicy},
	"DELETE /v1/lexicons/{name}":           {anxin.ActionManagePolicy},
	"GET /v1/policies":                     {anxin.ActionReadGovernance},
	"POST /v1/policies":                    {anxin.ActionManagePolicy},
	"GET /v1/policies/{version}":           {anxin.ActionReadGovernance},
	"POST /v1/policies/{version}/activate": {anxin.ActionManagePolicy},
	"POST /v1/policies/{version}/shadow":   {anxin.ActionManagePolicy},
	"POST /v1/policies/{version}/retire":   {anxin.ActionManagePolicy},
	"GET /v1/cases":                        {anxin.ActionReview},
	"POST /v1/cases:bulk":                  {anxin.ActionReview},
	"GET /v1/cases/{id}":                   {anxin.ActionReview},
	"POST /v1/cases/{id}/claim":            {anxin.ActionReview},
	"POST /v1/cases/{id}/decide":           {anxin.ActionReview},
	"POST /v1/cases/{id}/notes":            {anxin.ActionReview},
	"GET /v1/rules/precision":              {anxin.ActionReadGovernance},
	"GET /v1/merchants/{id}/enforcement":   {anxin.ActionReadEnforcement},
	"GET /v1/statements":                   {anxin.ActionReadEnforcement, anxin.ActionReadStatements},
	"GET /v1/statements/{id}":              {anxin.ActionReadEnforcement},
	"POST /v1/statements/{id}/appeals":     {anxin.ActionFileAppeal},
	"GET /v1/appeals":                      {anxin.ActionFileAppeal, anxin.ActionDecideAppeal},
	"POST /v1/appeals/{id}/decide":         {anxin.ActionDecideAppeal},

	"POST /v1/claims":                              {anxin.ActionFileClaim},
	"GET /v1/claims":                               {anxin.ActionReadClaims},
	"GET /v1/claims/{id}":                          {anxin.ActionReadClaims},
	"POST /v1/claims/{id}/evidence":                {anxin.ActionRespondClaim},
	"POST /v1/claims/{id}/response":                {anxin.ActionRespondClaim},
	"POST /v1/claims/{id}/decision":                {anxin.ActionDecideClaim},
	"POST /v1/claims/{id}/appeal":                  {anxin.ActionAppealClaim},
	"GET /v1/programmes":                           {anxin.ActionReadProgrammes},
	"POST /v1/programmes":                          {anxin.ActionManageProgrammes},
	"GET /v1/programmes/{id}":                      {anxin.ActionReadProgrammes},
	"GET /v1/enrolments":                           {anxin.ActionReadProgrammes},
	"POST /v1/enrolments":                          {anxin.ActionManageProgrammes, anxin.ActionEnrolSelf},
	"DELETE /v1/enrolments/{merchant}/{programme}": {anxin.ActionManageProgrammes, anxin.ActionEnrolSelf},
	"GET /v1/payouts":                              {anxin.ActionReadClaims},
	"POST /v1/payouts/{id}/ack":                    {anxin.ActionAckPayout},
	"GET /v1/ledger/accounts":                      {anxin.ActionReadLedger},
	"GET /v1/ledger/postings":                      {anxin.ActionReadLedger},
	"GET /v1/ledger/merchants/{id}":                {anxin.ActionReadLedger},
	"POST /v1/ledger/fundings":                     {anxin.ActionManageLedger},
	"GET /v1/ledger/reconciliation":                {anxin.ActionManageLedger},

	"POST /v1/care/tickets":                   {anxin.ActionCareCreate},
	"GET /v1/care/tickets":                    {anxin.ActionCareRead},
	"GET /v1/care/tickets/{id}":               {anxin.ActionCareRead},
	"POST /v1/care/tickets/{id}/replies":      {anxin.ActionCareWork, anxin.ActionCareRespond},
	"POST /v1/care/tickets/{id}/notes":        {anxin.ActionCareWork},
	"POST /v1/care/tickets/{id}/assign":       {anxin.ActionCareWork},
	"POST /v1/care/tickets/{id}/transfer":     {anxin.ActionCareWork},
	"POST /v1/care/tickets/{id}/merge":        {anxin.ActionCareWork},
	"POST /v1/care/tickets/{id}/pause":        {anxin.ActionCareWork},
	"POST /v1/care/tickets/{id}/resume":       {anxin.ActionCareWork},
	"POST /v1/care/tickets/{id}/resolve":      {anxin.ActionCareWork},
	"POST /v1/care/tickets/{id}/survey":       {anxin.ActionCareSurvey},
	"GET /v1/care/csat":                       {anxin.ActionCareWork},
	"GET /v1/care/sla-events":                 {anxin.ActionCareWork},
	"GET /v1/care/groups":                     {anxin.ActionCareRead},
	"PUT /v1/care/groups/{id}":                {anxin.ActionCareManage},
	"GET /v1/care/calendars":                  {anxin.ActionCareWork},
	"PUT /v1/care/calendars/{id}":             {anxin.ActionCareManage},
	"GET /v1/care/macros":                     {anxin.ActionCareWork},
	"POST /v1/care/macros":                    {anxin.ActionCareManage},
	"GET /v1/care/classifier":                 {anxin.ActionCareRead},
	"POST /v1/care/classifier/train":          {anxin.ActionCareManage},
	"POST /v1/sampling/plans":                 {anxin.ActionSamplingManage},
	"GET /v1/sampling/plans":                  {anxin.ActionSamplingRead},
	"GET /v1/sampling/plans/{id}":             {anxin.ActionSamplingRead},
	"POST /v1/sampling/plans/{id}/draw":       {anxin.ActionSamplingManage},
	"GET /v1/sampling/plans/{id}/samples":     {anxin.ActionSamplingRead},
	"GET /v1/sampling/plans/{id}/pass-rates":  {anxin.ActionSamplingRead},
	"GET /v1/sampling/labs":                   {anxin.ActionSamplingRead},
	"PUT /v1/sampling/labs/{id}":              {anxin.ActionSamplingManage},
	"GET /v1/sampling/samples/{id}":           {anxin.ActionSamplingRead, anxin.ActionSamplingRetest},
	"POST /v1/sampling/samples/{id}/purchase": {anxin.ActionSamplingManage},
	"POST /v1/sampling/samples/{id}/assign":   {anxin.ActionSamplingManage},
	"POST /v1/sampling/samples/{id}/track":    {anxin.ActionSamplingManage},
	"POST /v1/sampling/samples/{id}/results":  {anxin.ActionSamplingManage},
	"POST /v1/sampling/samples/{id}/retest":   {anxin.ActionSamplingRetest},
	"POST /v1/quality/monitors":               {anxin.ActionQualityManage},
	"GET /v1/quality/monitors":                {anxin.ActionQualityRead},
	"GET /v1/quality/monitors/{id}/series":    {anxin.ActionQualityRead},
	"POST /v1/quality/evaluate":               {anxin.ActionQualityManage},
	"POST /v1/quality/history":                {anxin.ActionQualityManage},
	"GET /v1/quality/alerts":                  {anxin.ActionQualityRead},
	"POST /v1/quality/campaigns":              {anxin.ActionQualityManage},
	"GET /v1/quality/campaigns":               {anxin.ActionQualityRead},
	"GET /v1/quality/campaigns/{id}":          {anxin.ActionQualityRead},
	"POST /v1/quality/campaigns/{id}/enforce": {anxin.ActionQualityManage},

	"POST /v1/identity":                  {anxin.ActionWriteIdentity},
	"GET /v1/graph/{kind}/{id}":          {anxin.ActionInvestigate},
	"GET /v1/graph/{kind}/{id}/export":   {anxin.ActionInvestigate},
	"GET /v1/graph/hubs":                 {anxin.ActionInvestigate},
	"GET /v1/graph/reregistrations":      {anxin.ActionInvestigate},
	"POST /v1/images:hash":               {anxin.ActionInvestigate},
	"POST /v1/hashbank":                  {anxin.ActionManageHashBank},
	"GET /v1/hashbank/search":            {anxin.ActionInvestigate},
	"POST /v1/counterfeit:score":         {anxin.ActionInvestigate},
	"POST /v1/models/train":              {anxin.ActionTrainModel},
	"GET /v1/models":                     {anxin.ActionInvestigate},
	"POST /v1/brands":                    {anxin.ActionManageBrands},
	"GET /v1/brands":                     {anxin.ActionReadNotices, anxin.ActionManageBrands},
	"GET /v1/brands/{id}":                {anxin.ActionReadNotices, anxin.ActionManageBrands},
	"POST /v1/notices":                   {anxin.ActionFileNotice},
	"GET /v1/notices":                    {anxin.ActionReadNotices},
	"GET /v1/notices/{id}":               {anxin.ActionReadNotices},
	"POST /v1/notices/{id}/decide":       {anxin.ActionDecideNotice},
	"POST /v1/notices/{id}/counter":      {anxin.ActionCounterNotice},
	"POST /v1/notices/{id}/legal-action": {anxin.ActionFileNotice},
	"GET /v1/rights-holders":             {anxin.ActionDecideNotice},

	"PUT /v1/orders/{id}/pii":              {anxin.ActionSealPII},
	"GET /v1/orders/{id}/pii":              {anxin.ActionReadMaskedPII},
	"GET /v1/orders/{id}/waybill":          {anxin.ActionPrintWaybill},
	"POST /v1/orders/{id}/pii:decrypt":     {anxin.ActionDecryptPII},
	"GET /v1/pii/search":                   {anxin.ActionSearchPII},
	"GET /v1/pii/grants":                   {anxin.ActionManageGrants},
	"POST /v1/pii/grants":                  {anxin.ActionManageGrants},
	"DELETE /v1/pii/grants/{id}":           {anxin.ActionManageGrants},
	"POST /v1/pii/grants/{id}/approve":     {anxin.ActionManageGrants},
	"POST /v1/virtual-numbers/{call}":      {anxin.ActionRouteCall},
	"GET /v1/privacy/audit":                {anxin.ActionReadAudit},
	"GET /v1/privacy/audit/verify":         {anxin.ActionReadAudit},
	"GET /v1/privacy/alerts":               {anxin.ActionReadAlerts},
	"POST /v1/privacy/alerts/{id}/resolve": {anxin.ActionManageAlerts},
	"GET /v1/vault/status":                 {anxin.ActionReadVaultState},
}

// refusedByService lists routes whose service records a refused role in
// the privacy audit log (a decrypt attempt by a role without the permission
// is evidence a privacy officer must see). The gate lets these through to
// the service, which checks the same action and answers the same 403.
var refusedByService = map[string]bool{
	"POST /v1/orders/{id}/pii:decrypt": true,
}

// RouteRoles returns the base roles allowed to call pattern ("GET
// /v1/claims"), sorted, and false when the route is not in the table.
func RouteRoles(pattern string) ([]string, bool) {
	actions, ok := routeAccess[pattern]
	if !ok {
		return nil, false
	}
	var out []string
	for _, base := range anxin.BaseRoles() {
		if actions == nil || slices.ContainsFunc(actions, func(a anxin.Action) bool { return anxin.Can(anxin.Role(base), a) }) {
			out = append(out, base)
		}
	}
	return out, true
}

// checkAccess is the middleware's gate: nil when role may call the route
// pattern, Forbidden when the table leaves it out and Internal for a /v1/
// route with no entry (fail closed). Routes outside /v1/ are not gated here.
func checkAccess(pattern string, role anxin.Role) error {
	if !strings.Contains(pattern, " /v1/") {
		return nil
	}
	actions, ok := routeAccess[pattern]
	if !ok {
		return anxin.Errorf(anxin.Internal, "Route %s has no access rule.", pattern)
	}
	if actions == nil || refusedByService[pattern] {
		return nil
	}
	for _, a := range actions {
		if anxin.Can(role, a) {
			return nil
		}
	}
	return anxin.Errorf(anxin.Forbidden, "Role %s may not call %s.", role.Base(), pattern)
}

// gate runs checkAccess on the request's route; api calls it once the actor
// is known.
func gate(r *http.Request, role anxin.Role) error { return checkAccess(r.Pattern, role) }
