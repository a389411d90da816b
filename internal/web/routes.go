package web

import (
	"mashang/internal/auth"
)

// registerRoutes lists every route of mashang in one place.
func (s *Server) registerRoutes() {
	// Service.
	s.handle("GET /healthz", anyone, s.healthz)
	s.handle("GET /api/v1/openapi.json", anyone, s.openAPI)
	s.handle("GET /metrics", anyStaff, s.metricsRoute)

	// Reference data.
	s.handle("GET /api/v1/catalog", anyone, s.getCatalog)

	// Staff sign-in.
	s.handle("POST /api/v1/auth/token", anyone, s.createToken)
	s.handle("DELETE /api/v1/auth/token", anyStaff, s.deleteToken)
	s.handle("GET /api/v1/me", anyStaff, s.getMe)

	// Organisation.
	s.handle("GET /api/v1/units", anyStaff, s.listUnits)
	s.handle("POST /api/v1/units", may(auth.Admin), s.createUnit)
	s.handle("GET /api/v1/units/{code}", anyStaff, s.getUnit)
	s.handle("PATCH /api/v1/units/{code}", may(auth.Admin), s.updateUnit)
	s.handle("GET /api/v1/people", anyStaff, s.listPeople)
	s.handle("POST /api/v1/people", may(auth.Admin), s.createPerson)
	s.handle("GET /api/v1/people/{id}", anyStaff, s.getPerson)
	s.handle("PATCH /api/v1/people/{id}", may(auth.Admin), s.updatePerson)
	s.handle("POST /api/v1/org/import", may(auth.Admin), s.importOrg)

	// Staff accounts.
	s.handle("GET /api/v1/users", reads(auth.Admin), s.listUsers)
	s.handle("POST /api/v1/users", may(auth.Admin), s.createUser)
	s.handle("PATCH /api/v1/users/{id}", may(auth.Admin), s.updateUser)
	s.handle("POST /api/v1/users/{id}/password-reset", may(auth.Admin), s.resetPassword)
	s.handle("GET /api/v1/users/{id}/sign-in-failures", reads(auth.Admin), s.userFailures)
	s.handle("POST /api/v1/me/password", anyStaff, s.changeMyPassword)

	// Audit.
	s.handle("GET /api/v1/audit", reads(auth.Admin), s.listAudit)
	s.handle("GET /api/v1/audit/verify", reads(auth.Admin), s.verifyAudit)

	// Intake (issue 4): reports from every channel, tracking, messages,
	// attachments and the reporter's identity.
	s.handle("POST /api/v1/reports", anyone, s.createReport)
	s.handle("POST /api/v1/track", anyone, s.track)
	s.handle("POST /api/v1/track/messages", anyone, s.trackMessage)
	s.handle("POST /api/v1/intake", may(auth.Clerk), s.createIntake)
	s.handle("GET /api/v1/cases/{id}/messages", reads(auth.Clerk, auth.Handler, auth.Director, auth.Leader), s.listCaseMessages)
	s.handle("POST /api/v1/cases/{id}/messages", may(auth.Clerk, auth.Handler, auth.Director, auth.Leader), s.createCaseMessage)
	s.handle("GET /api/v1/cases/{id}/attachments", reads(auth.Clerk, auth.Handler, auth.Director, auth.Leader, auth.Inspector), s.listCaseAttachments)
	s.handle("GET /api/v1/attachments/{id}", reads(auth.Clerk, auth.Handler, auth.Director, auth.Leader, auth.Inspector), s.getAttachment)
	s.handle("GET /api/v1/cases/{id}/reporter", reads(auth.Clerk, auth.Handler, auth.Director, auth.Leader), s.getReporter)
	s.handle("POST /api/v1/cases/{id}/reporter/reveal", may(auth.Director, auth.Leader), s.revealReporter)
	s.handle("GET /api/v1/cases/{id}/repeat-reporter", reads(auth.Clerk, auth.Handler, auth.Director, auth.Leader), s.getRepeatReporter)

	// Lists, search and statistics (issue 6): every staff role; a liaison sees
	// only the cases transferred to its unit.
	s.handle("GET /api/v1/cases", anyStaff, s.listCases)
	s.handle("GET /api/v1/stats", anyStaff, s.getStats)

	// Pages (issue 8): HTML for the public and the staff; templates parsed here, once.
	p := mustPages(s)
	s.handle("GET /static/", anyone, p.serveStatic)
	s.handle("GET /{$}", anyone, p.public(p.home))
	s.handle("GET /report", anyone, p.public(p.reportForm))
	s.handle("POST /report", anyone, p.public(p.report))
	s.handle("GET /track", anyone, p.public(p.trackForm))
	s.handle("POST /track", anyone, p.public(p.track))
	s.handle("GET /staff/login", anyone, p.public(p.loginForm))
	s.handle("POST /staff/login", anyone, p.public(p.login))
	s.handle("POST /staff/logout", anyone, p.staff(anyStaff, p.logout))
	s.handle("GET /staff/password", anyone, p.staff(anyStaff, p.account))
	s.handle("POST /staff/password", anyone, p.staff(anyStaff, p.accountPassword))
	s.handle("GET /staff", anyone, p.public(p.toStaff))
	s.handle("GET /staff/{$}", anyone, p.staff(anyStaff, p.staffHome))
	s.handle("GET /staff/desk", anyone, p.staff(may(auth.Clerk), p.desk))
	s.handle("POST /staff/desk", anyone, p.staff(may(auth.Clerk), p.deskSave))
	s.handle("GET /staff/cases", anyone, p.staff(anyStaff, p.queue))
	s.handle("GET /staff/cases/{id}", anyone, p.staff(anyStaff, p.casePage))
	s.handle("POST /staff/cases/{id}/act", anyone, p.staff(may(auth.Clerk, auth.Handler, auth.Director, auth.Leader, auth.Inspector, auth.OrgDept, auth.Liaison), p.caseAct))
	s.handle("POST /staff/cases/{id}/messages", anyone, p.staff(may(auth.Clerk, auth.Handler, auth.Director, auth.Leader), p.caseMessage))
	s.handle("POST /staff/cases/{id}/reveal", anyone, p.staff(may(auth.Director, auth.Leader), p.caseReveal))
	s.handle("POST /staff/cases/{id}/decisions", anyone, p.staff(may(auth.Director), p.caseDecision))
	s.handle("GET /staff/overview", anyone, p.staff(anyStaff, p.overview))
	s.handle("GET /staff/eligibility", anyone, p.staff(reads(auth.OrgDept, auth.Leader), p.eligibility))
	s.handle("GET /staff/people/{id}", anyone, p.staff(reads(auth.OrgDept, auth.Leader, auth.Director), p.person))
	s.handle("POST /staff/people/{id}", anyone, p.staff(may(auth.Director, auth.OrgDept, auth.Leader), p.personAct))
	s.handle("GET /staff/admin/calendar", anyone, p.staff(reads(auth.Admin), p.adminCalendar))
	s.handle("POST /staff/admin/calendar", anyone, p.staff(may(auth.Admin), p.adminCalendarSave))
	s.handle("GET /staff/admin", anyone, p.staff(reads(auth.Admin), p.adminHome))
	s.handle("GET /staff/admin/units", anyone, p.staff(reads(auth.Admin), p.adminUnits))
	s.handle("POST /staff/admin/units", anyone, p.staff(may(auth.Admin), p.adminUnitSave))
	s.handle("POST /staff/admin/import", anyone, p.staff(may(auth.Admin), p.adminImport))
	s.handle("GET /staff/admin/people", anyone, p.staff(reads(auth.Admin), p.adminPeople))
	s.handle("POST /staff/admin/people", anyone, p.staff(may(auth.Admin), p.adminPersonSave))
	s.handle("GET /staff/admin/users", anyone, p.staff(reads(auth.Admin), p.adminUsers))
	s.handle("POST /staff/admin/users", anyone, p.staff(may(auth.Admin), p.adminUserSave))
	s.handle("GET /staff/notices", anyone, p.staff(reads(auth.Director, auth.Leader), p.notices))
	s.handle("POST /staff/notices/{id}/read", anyone, p.staff(may(auth.Director, auth.Leader), p.noticeRead))
	// End of pages.

	// Accountability (issue 7): decisions, the cadre's appeals (申诉),
	// eligibility for promotion and excellence, the person's record.
	s.handle("POST /api/v1/cases/{id}/decisions", may(auth.Director), s.createDecision)
	s.handle("GET /api/v1/decisions/{id}", reads(auth.Director, auth.Leader, auth.OrgDept), s.getDecision)
	s.handle("POST /api/v1/decisions/{id}/approve", may(auth.Leader), s.approveDecision)
	s.handle("POST /api/v1/decisions/{id}/appeals", may(auth.Director, auth.OrgDept), s.fileAppeal)
	s.handle("GET /api/v1/appeals", reads(auth.Director, auth.Leader, auth.OrgDept), s.listAppeals)
	s.handle("GET /api/v1/appeals/{id}", reads(auth.Director, auth.Leader, auth.OrgDept), s.getAppeal)
	s.handle("POST /api/v1/appeals/{id}/outcome", may(auth.OrgDept, auth.Leader), s.appealOutcome)
	s.handle("GET /api/v1/people/{id}/eligibility", reads(auth.OrgDept, auth.Leader), s.personEligibility)
	s.handle("POST /api/v1/eligibility", reads(auth.OrgDept, auth.Leader), s.batchEligibility)
	s.handle("GET /api/v1/people/{id}/record", reads(auth.OrgDept, auth.Leader, auth.Director), s.personRecord)
	s.handle("GET /api/v1/accountability/settings", reads(auth.Director, auth.Leader, auth.OrgDept), s.getAccountabilitySettings)
	s.handle("PUT /api/v1/accountability/settings", may(auth.Admin), s.putAccountabilitySettings)

	// Cases (issue 5): the case page, the state machine's actions, the
	// reporter's review (复查/复核) and rating, the working-day calendar and
	// supervision (督办) notices. Action roles are checked per action in
	// internal/cases (machine.go); the auditor only reads.
	s.handle("GET /api/v1/cases/{id}", anyStaff, s.getCase)
	s.handle("POST /api/v1/cases/{id}/actions", may(auth.Clerk, auth.Handler, auth.Director, auth.Leader, auth.Inspector, auth.OrgDept, auth.Liaison), s.caseAction)
	s.handle("POST /api/v1/track/review", anyone, s.trackReview)
	s.handle("POST /api/v1/track/rating", anyone, s.trackRating)
	s.handle("GET /api/v1/calendar/years", anyStaff, s.listCalendarYears)
	s.handle("POST /api/v1/calendar/years", may(auth.Admin), s.importCalendarYear)
	s.handle("GET /api/v1/notices", reads(auth.Director, auth.Leader), s.listNotices)
	s.handle("POST /api/v1/notices/{id}/read", may(auth.Director, auth.Leader), s.readNotice)
	s.handle("POST /api/v1/jobs/sweep", may(auth.Admin), s.runSweep)

	// Inspections (issue 9): covert plans are visible to inspectors and leaders until done.
	s.handle("POST /api/v1/inspections", may(auth.Inspector), s.createInspection)
	s.handle("GET /api/v1/inspections", anyStaff, s.listInspections)
	s.handle("GET /api/v1/inspections/{id}", anyStaff, s.getInspection)
	s.handle("POST /api/v1/inspections/{id}/visits", may(auth.Inspector), s.createVisit)
	s.handle("POST /api/v1/inspections/{id}/done", may(auth.Inspector), s.inspectionDone)
	s.handle("GET /api/v1/inspections/{id}/report", anyStaff, s.inspectionReport)
	s.handle("GET /api/v1/inspections/{id}/attachments/{aid}", reads(auth.Inspector, auth.Leader), s.getInspectionAttachment)

	// Publications (issue 9): a director proposes, a leader approves, a director or leader publishes.
	s.handle("POST /api/v1/publications", may(auth.Director), s.createPublication)
	s.handle("GET /api/v1/publications", reads(auth.Director, auth.Leader), s.listPublications)
	s.handle("GET /api/v1/publications/{id}", reads(auth.Director, auth.Leader), s.getPublication)
	s.handle("POST /api/v1/publications/{id}/approve", may(auth.Leader), s.publicationStep(approveStep))
	s.handle("POST /api/v1/publications/{id}/publish", may(auth.Director, auth.Leader), s.publicationStep(publishStep))
	s.handle("POST /api/v1/publications/{id}/withdraw", may(auth.Director, auth.Leader), s.publicationStep(withdrawStep))

	// The public portal (issue 9): approved and published items only. Pages answer
	// JSON with Accept: application/json; /api/v1/public/... are their JSON twins.
	s.handle("GET /public/{$}", anyone, p.public(p.portalHome))
	s.handle("GET /public/exposures", anyone, p.public(p.portalList("exposure")))
	s.handle("GET /public/exposures/{id}", anyone, p.public(p.portalItem("exposure")))
	s.handle("GET /public/exemplars", anyone, p.public(p.portalList("exemplar")))
	s.handle("GET /public/exemplars/{id}", anyone, p.public(p.portalItem("exemplar")))
	s.handle("GET /public/stats", anyone, p.public(p.portalStats))
	s.handle("GET /public/feed.atom", anyone, s.publicFeed)
	s.handle("GET /api/v1/public/exposures", anyone, s.publicListJSON("exposure"))
	s.handle("GET /api/v1/public/exposures/{id}", anyone, s.publicItemJSON("exposure"))
	s.handle("GET /api/v1/public/exemplars", anyone, s.publicListJSON("exemplar"))
	s.handle("GET /api/v1/public/exemplars/{id}", anyone, s.publicItemJSON("exemplar"))
	s.handle("GET /api/v1/public/stats", anyone, s.publicStatsJSON)

	// The public audit log: what it proves (page), its signed checkpoints,
	// key and proofs. Hashes only; anyone, a witness included, may fetch them.
	s.handle("GET /public/log", anyone, p.public(p.portalLog))
	s.handle("GET /public/log/checkpoint", anyone, s.logCheckpoint)
	s.handle("GET /public/log/key", anyone, s.logKey)
	s.handle("GET /public/log/checkpoints", anyone, s.logCheckpoints)
	s.handle("GET /public/log/proof", anyone, s.logProof)
	s.handle("GET /public/log/inclusion", anyone, s.logInclusion)

	// Pages: inspections and publication (issue 9). Same access as the API;
	// covert plans are filtered by the inspection service.
	s.handle("GET /staff/inspections", anyone, p.staff(anyStaff, p.inspections))
	s.handle("POST /staff/inspections", anyone, p.staff(may(auth.Inspector), p.inspectionCreate))
	s.handle("GET /staff/inspections/new", anyone, p.staff(may(auth.Inspector), p.inspectionNew))
	s.handle("GET /staff/inspections/{id}", anyone, p.staff(anyStaff, p.inspectionPage))
	s.handle("GET /staff/inspections/{id}/visit", anyone, p.staff(may(auth.Inspector), p.visitForm))
	s.handle("POST /staff/inspections/{id}/visit", anyone, p.staff(may(auth.Inspector), p.visitSave))
	s.handle("POST /staff/inspections/{id}/done", anyone, p.staff(may(auth.Inspector), p.inspectionMarkDone))
	s.handle("GET /staff/publications", anyone, p.staff(reads(auth.Director, auth.Leader), p.publications))
	s.handle("POST /staff/publications", anyone, p.staff(may(auth.Director), p.publicationCreate))
	s.handle("GET /staff/publications/new", anyone, p.staff(may(auth.Director), p.publicationNew))
	s.handle("POST /staff/publications/{id}/approve", anyone, p.staff(may(auth.Leader), p.pubStep("approved", approveStep)))
	s.handle("POST /staff/publications/{id}/publish", anyone, p.staff(may(auth.Director, auth.Leader), p.pubStep("published", publishStep)))
	s.handle("POST /staff/publications/{id}/withdraw", anyone, p.staff(may(auth.Director, auth.Leader), p.pubStep("withdrawn", withdrawStep)))

	// Reports for the leading group (issue 9).
	s.handle("GET /api/v1/reports/summary", reads(auth.Leader, auth.Director, auth.OrgDept), s.reportSummary)
	s.handle("GET /api/v1/cases/export", anyStaff, s.exportCases)
	// (end of issue 9 routes)
}
