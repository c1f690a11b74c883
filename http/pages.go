package http

// registerCapabilityPages registers each capability's console pages. Each
// capability keeps its page handlers in its own file and adds one line here
// and its links to consoleNav.
func (s *Server) registerCapabilityPages() {
	s.registerProtectionPages()
	s.registerPrivacyPages()
	s.registerKeyPages()
	s.registerCarePages()
	s.registerSamplingPages()
	s.registerQualityPages()
	s.registerGovernancePages()
	s.registerSubmissionPages()
	s.registerEvalPages()
	s.registerIPPages()
	s.registerMarketplacePages()
	s.registerSanctionPages()
	s.registerWebhookPages()
	s.registerJobPages()
	s.registerStreamPages()
	s.registerReportPages()
	s.registerCSVPages()
}
