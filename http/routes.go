package http

// registerCapabilityRoutes registers each capability's /v1/ routes. Each
// capability keeps its handlers in its own file (marketplace.go, events.go,
// governance.go, …) with a register<Capability>Routes method, and adds one
// line here.
func (s *Server) registerCapabilityRoutes() {
	s.registerKeyRoutes()
	s.registerProtectionRoutes()
	s.registerPrivacyRoutes()
	s.registerCareRoutes()
	s.registerSamplingRoutes()
	s.registerQualityRoutes()
	s.registerGovernanceRoutes()
	s.registerSubmissionRoutes()
	s.registerContentModelRoutes()
	s.registerSanctionRoutes()
	s.registerIPRoutes()
	s.registerMarketplaceRoutes()
	s.registerEventRoutes()
	s.registerWebhookRoutes()
	s.registerJobRoutes()
	s.registerStreamRoutes()
	s.registerReportRoutes()
}
