package web

import (
	"mashang/internal/access"
	"mashang/internal/cases"
)

// registerRoutes lists every route of mashang in one place, grouped by
// resource, each behind its gate: anyone, any signed-in staff member, or
// need(permission) of the access policy (package access). Routes about one
// case are checked again, on that case, by the service that answers them.
func (s *Server) registerRoutes() {
	p := mustPages(s)
	// page registers a staff page behind g (a signed-out visitor is sent to
	// the sign-in page); public pages go through p.public.
	page := func(pattern string, g gate, h pageFunc) { s.handle(pattern, anyone, p.staff(g, h)) }
	caseActions := need(cases.ActionPerms()...)

	// Service.
	s.handle("GET /healthz", anyone, s.healthz)
	s.handle("GET /api/v1/openapi.json", anyone, s.openAPI)
	s.handle("GET /metrics", need(access.MetricsRead), s.metricsRoute)
	s.handle("GET /static/", anyone, p.serveStatic)

	// Sign-in and staff accounts.
	s.handle("POST /api/v1/auth/token", anyone, s.createToken)
	s.handle("DELETE /api/v1/auth/token", signedIn, s.deleteToken)
	s.handle("GET /api/v1/me", signedIn, s.getMe)
	s.handle("GET /api/v1/users", need(access.UserRead), s.listUsers)
	s.handle("POST /api/v1/users", need(access.UserWrite), s.createUser)
	s.handle("PATCH /api/v1/users/{id}", need(access.UserWrite), s.updateUser)
	s.handle("POST /api/v1/users/{id}/password-reset", need(access.UserWrite), s.resetPassword)
	s.handle("GET /api/v1/users/{id}/sign-in-failures", need(access.UserRead), s.userFailures)
	s.handle("POST /api/v1/me/password", signedIn, s.changeMyPassword)
	s.handle("GET /api/v1/me/notifications", signedIn, s.myNotifications)
	s.handle("PUT /api/v1/me/notifications", signedIn, s.setMyNotifications)
	s.handle("GET /staff/login", anyone, p.public(p.loginForm))
	s.handle("POST /staff/login", anyone, p.public(p.login))
	page("POST /staff/logout", signedIn, p.logout)
	page("GET /staff/password", signedIn, p.account)
	page("POST /staff/password", signedIn, p.accountPassword)
	page("GET /staff/notifications", signedIn, p.myNotifications)
	page("POST /staff/notifications", signedIn, p.myNotificationsSave)
	page("GET /staff/admin/outbox", need(access.AdminRead), p.outbox)
	page("POST /staff/admin/outbox/{id}/retry", need(access.JobRun), p.outboxRetry)
	s.handle("GET /staff", anyone, p.public(p.toStaff))
	page("GET /staff/{$}", signedIn, p.staffHome)
	page("GET /staff/admin", need(access.AdminRead), p.adminHome)
	page("GET /staff/admin/users", need(access.AdminRead), p.adminUsers)
	page("POST /staff/admin/users", need(access.UserWrite), p.adminUserSave)

	// Offices (整肃办) in levels, and their time limits.
	s.handle("GET /api/v1/offices", need(access.OrgRead), s.listOffices)
	s.handle("POST /api/v1/offices", need(access.OrgWrite), s.createOffice)
	s.handle("GET /api/v1/offices/{code}", need(access.OrgRead), s.getOffice)
	s.handle("PATCH /api/v1/offices/{code}", need(access.OrgWrite), s.updateOffice)
	// The office's own words: letterhead, contacts, public texts, the texts
	// of its formal notices; the first-start checklist.
	s.handle("GET /api/v1/offices/{code}/profile", need(access.OrgRead), s.getProfile)
	s.handle("PUT /api/v1/offices/{code}/profile", need(access.ProfileWrite), s.putProfile)
	s.handle("GET /api/v1/offices/{code}/notice-templates", need(access.AdminRead), s.listNoticeTemplates)
	s.handle("PUT /api/v1/offices/{code}/notice-templates/{kind}", need(access.ProfileWrite), s.putNoticeTemplate)
	s.handle("DELETE /api/v1/offices/{code}/notice-templates/{kind}", need(access.ProfileWrite), s.deleteNoticeTemplate)
	s.handle("POST /api/v1/offices/{code}/notice-templates/{kind}/preview", need(access.ProfileWrite), s.previewNoticeTemplate)
	s.handle("GET /api/v1/setup", need(access.AdminRead), s.getSetup)
	page("GET /staff/admin/start", need(access.AdminRead), p.adminStart)
	page("GET /staff/admin/office", need(access.AdminRead), p.adminOffice)
	page("POST /staff/admin/office", need(access.ProfileWrite), p.adminOfficeSave)
	page("POST /staff/admin/office/rules", need(access.OrgWrite), p.adminOfficeRulesSave)
	page("GET /staff/admin/notices", need(access.AdminRead), p.adminNotices)
	page("POST /staff/admin/notices", need(access.ProfileWrite), p.adminNoticeSave)
	// Organisation: units and people.
	s.handle("GET /api/v1/units", need(access.OrgRead), s.listUnits)
	s.handle("POST /api/v1/units", need(access.OrgWrite), s.createUnit)
	s.handle("GET /api/v1/units/{code}", need(access.OrgRead), s.getUnit)
	s.handle("PATCH /api/v1/units/{code}", need(access.OrgWrite), s.updateUnit)
	s.handle("GET /api/v1/people", need(access.OrgRead), s.listPeople)
	s.handle("POST /api/v1/people", need(access.OrgWrite), s.createPerson)
	s.handle("GET /api/v1/people/{id}", need(access.OrgRead), s.getPerson)
	s.handle("PATCH /api/v1/people/{id}", need(access.OrgWrite), s.updatePerson)
	s.handle("POST /api/v1/org/import", need(access.OrgWrite), s.importOrg)
	page("GET /staff/admin/units", need(access.AdminRead), p.adminUnits)
	page("POST /staff/admin/units", need(access.OrgWrite), p.adminUnitSave)
	page("POST /staff/admin/import", need(access.OrgWrite), p.adminImport)
	page("GET /staff/admin/people", need(access.AdminRead), p.adminPeople)
	page("POST /staff/admin/people", need(access.OrgWrite), p.adminPersonSave)

	// Reference data: the catalogue and the working-day calendar.
	s.handle("GET /api/v1/catalog", anyone, s.getCatalog)
	s.handle("GET /api/v1/catalog/versions", need(access.OrgRead), s.listCatalogVersions)
	s.handle("POST /api/v1/catalog/versions", need(access.SettingsWrite), s.loadCatalogVersion)
	s.handle("GET /api/v1/calendar/years", need(access.CalendarRead), s.listCalendarYears)
	s.handle("POST /api/v1/calendar/years", need(access.CalendarWrite), s.importCalendarYear)
	page("GET /staff/admin/calendar", need(access.AdminRead), p.adminCalendar)
	page("POST /staff/admin/calendar", need(access.CalendarWrite), p.adminCalendarSave)

	// Reports from the public, and the reporter's side: tracking, messages,
	// review requests (复查/复核) and rating, with receipt and key.
	s.handle("POST /api/v1/reports", anyone, s.createReport)
	s.handle("POST /api/v1/track", anyone, s.track)
	s.handle("POST /api/v1/track/messages", anyone, s.trackMessage)
	s.handle("POST /api/v1/track/review", anyone, s.trackReview)
	s.handle("POST /api/v1/track/rating", anyone, s.trackRating)
	s.handle("POST /api/v1/track/notices", anyone, s.trackNotices)
	s.handle("POST /api/v1/track/notices/{nid}", anyone, s.trackNotice)
	s.handle("GET /{$}", anyone, p.public(p.home))
	s.handle("GET /report", anyone, p.public(p.reportForm))
	s.handle("POST /report", anyone, p.public(p.report))
	s.handle("GET /report/receipt", anyone, p.public(p.receipt))
	s.handle("GET /track", anyone, p.public(p.trackForm))
	s.handle("POST /track", anyone, p.public(p.track))
	s.handle("POST /track/notice", anyone, p.public(p.trackNoticePage))

	// Cases: registration by clerks, lists and search, the case, the state
	// machine's actions, the reporter's identity, thread and files.
	s.handle("POST /api/v1/intake", need(access.CaseRegister), s.createIntake)
	s.handle("GET /api/v1/cases", need(access.CaseRead), s.listCases)
	s.handle("GET /api/v1/cases/export", need(access.CaseExport), s.exportCases)
	s.handle("GET /api/v1/cases/{id}", need(access.CaseRead), s.getCase)
	s.handle("POST /api/v1/cases/{id}/actions", caseActions, s.caseAction)
	s.handle("GET /api/v1/cases/{id}/attachments", need(access.CaseRead), s.listCaseAttachments)
	s.handle("GET /api/v1/cases/{id}/notices", need(access.CaseRead), s.listCaseNotices)
	s.handle("GET /api/v1/cases/{id}/notices/{nid}/{format}", need(access.CaseRead), s.caseNotice)
	s.handle("GET /api/v1/letters/post", need(access.LetterPost), s.listToPost)
	s.handle("POST /api/v1/letters/post/{nid}", need(access.LetterPost), s.markPosted)
	page("GET /staff/post", need(access.LetterPost), p.postQueue)
	page("POST /staff/post/{nid}", need(access.LetterPost), p.postMark)
	s.handle("GET /api/v1/attachments/{id}", need(access.CaseRead), s.getAttachment)
	s.handle("GET /api/v1/cases/{id}/messages", need(access.ReporterThread), s.listCaseMessages)
	s.handle("POST /api/v1/cases/{id}/messages", need(access.ReporterWrite), s.createCaseMessage)
	s.handle("GET /api/v1/cases/{id}/reporter", need(access.ReporterIdentity), s.getReporter)
	s.handle("POST /api/v1/cases/{id}/reporter/reveal", need(access.ReporterReveal), s.revealReporter)
	s.handle("GET /api/v1/cases/{id}/repeat-reporter", need(access.ReporterRepeat), s.getRepeatReporter)
	page("GET /staff/desk", need(access.CaseRegister), p.desk)
	page("POST /staff/desk", need(access.CaseRegister), p.deskSave)
	page("POST /staff/desk/earlier", need(access.CaseRegister), p.deskEarlier)
	page("GET /staff/cases", need(access.CaseRead), p.queue)
	page("GET /staff/cases/{id}", need(access.CaseRead), p.casePage)
	page("POST /staff/cases/{id}/act", caseActions, p.caseAct)
	page("POST /staff/cases/{id}/messages", need(access.ReporterWrite), p.caseMessage)
	page("POST /staff/cases/{id}/reveal", need(access.ReporterReveal), p.caseReveal)

	// Statistics, the overview and the leading group's reports.
	s.handle("GET /api/v1/stats", need(access.StatsRead), s.getStats)
	s.handle("GET /api/v1/reports/summary", need(access.ReportSummary), s.reportSummary)
	page("GET /staff/overview", need(access.StatsRead), p.overview)

	// Supervision (督办): notices and the sweep that raises them.
	s.handle("GET /api/v1/notices", need(access.NoticeRead), s.listNotices)
	s.handle("POST /api/v1/notices/{id}/read", need(access.NoticeMark), s.readNotice)
	s.handle("POST /api/v1/jobs/sweep", need(access.JobRun), s.runSweep)
	s.handle("GET /api/v1/callbacks", need(access.CallbackRead), s.listCallbacks)
	s.handle("POST /api/v1/callbacks/{id}", need(access.CallbackRecord), s.recordCallback)
	page("GET /staff/callbacks", need(access.CallbackRead), p.callbacks)
	page("POST /staff/callbacks/{id}", need(access.CallbackRecord), p.callbackSave)
	s.handle("GET /api/v1/outbox", need(access.AdminRead), s.listOutbox)
	s.handle("POST /api/v1/outbox/{id}/retry", need(access.JobRun), s.retryNotification)
	s.handle("POST /api/v1/jobs/notify", need(access.JobRun), s.runNotify)
	page("GET /staff/notices", need(access.NoticeRead), p.notices)
	page("POST /staff/notices/{id}/read", need(access.NoticeMark), p.noticeRead)
	page("POST /staff/notices/read", need(access.NoticeMark), p.noticesRead)

	// Accountability: decisions, the cadre's appeals (申诉), eligibility for
	// promotion and excellence, the person's record, the approval setting.
	s.handle("POST /api/v1/cases/{id}/decisions", need(access.DecisionCreate), s.createDecision)
	s.handle("GET /api/v1/decisions/{id}", need(access.DecisionRead), s.getDecision)
	s.handle("POST /api/v1/decisions/{id}/approve", need(access.DecisionApprove), s.approveDecision)
	s.handle("POST /api/v1/decisions/{id}/appeals", need(access.AppealFile), s.fileAppeal)
	s.handle("GET /api/v1/appeals", need(access.AppealRead), s.listAppeals)
	s.handle("GET /api/v1/appeals/{id}", need(access.AppealRead), s.getAppeal)
	s.handle("POST /api/v1/appeals/{id}/outcome", need(access.AppealDecide), s.appealOutcome)
	s.handle("GET /api/v1/people/{id}/eligibility", need(access.EligibilityRead), s.personEligibility)
	s.handle("POST /api/v1/eligibility", need(access.EligibilityRead), s.batchEligibility)
	s.handle("GET /api/v1/people/{id}/record", need(access.PersonRecord), s.personRecord)
	s.handle("GET /api/v1/accountability/settings", need(access.SettingsRead), s.getAccountabilitySettings)
	s.handle("PUT /api/v1/accountability/settings", need(access.SettingsWrite), s.putAccountabilitySettings)
	page("POST /staff/cases/{id}/decisions", need(access.DecisionCreate), p.caseDecision)
	page("GET /staff/eligibility", need(access.EligibilityRead), p.eligibility)
	page("GET /staff/eligibility/export", need(access.EligibilityRead), p.eligibilityExport)
	page("GET /staff/people/{id}", need(access.PersonRecord), p.person)
	page("POST /staff/people/{id}", need(access.AppealFile, access.AppealDecide, access.DecisionApprove), p.personAct)

	// Inspections (明察暗访): plans, visits, findings; a covert plan and the
	// cases it opens are known only to those with covert.read until done.
	s.handle("POST /api/v1/inspections", need(access.InspectionPlan), s.createInspection)
	s.handle("GET /api/v1/inspections", need(access.InspectionRead), s.listInspections)
	s.handle("GET /api/v1/inspections/{id}", need(access.InspectionRead), s.getInspection)
	s.handle("POST /api/v1/inspections/{id}/visits", need(access.InspectionRecord), s.createVisit)
	s.handle("POST /api/v1/inspections/{id}/done", need(access.InspectionRecord), s.inspectionDone)
	s.handle("GET /api/v1/inspections/{id}/report", need(access.InspectionRead), s.inspectionReport)
	s.handle("GET /api/v1/inspections/{id}/attachments/{aid}", need(access.InspectionFiles), s.getInspectionAttachment)
	page("GET /staff/inspections", need(access.InspectionRead), p.inspections)
	page("POST /staff/inspections", need(access.InspectionPlan), p.inspectionCreate)
	page("GET /staff/inspections/new", need(access.InspectionPlan), p.inspectionNew)
	page("GET /staff/inspections/{id}", need(access.InspectionRead), p.inspectionPage)
	page("GET /staff/inspections/{id}/visit", need(access.InspectionRecord), p.visitForm)
	page("POST /staff/inspections/{id}/visit", need(access.InspectionRecord), p.visitSave)
	page("POST /staff/inspections/{id}/done", need(access.InspectionRecord), p.inspectionMarkDone)

	// Publications: a director proposes, a leader approves, a director or
	// leader publishes or withdraws.
	s.handle("POST /api/v1/publications", need(access.PublicationPropose), s.createPublication)
	s.handle("GET /api/v1/publications", need(access.PublicationRead), s.listPublications)
	s.handle("GET /api/v1/publications/{id}", need(access.PublicationRead), s.getPublication)
	s.handle("POST /api/v1/publications/{id}/approve", need(access.PublicationApprove), s.publicationStep(approveStep))
	s.handle("POST /api/v1/publications/{id}/publish", need(access.PublicationPublish), s.publicationStep(publishStep))
	s.handle("POST /api/v1/publications/{id}/withdraw", need(access.PublicationPublish), s.publicationStep(withdrawStep))
	page("GET /staff/publications", need(access.PublicationRead), p.publications)
	page("POST /staff/publications", need(access.PublicationPropose), p.publicationCreate)
	page("GET /staff/publications/new", need(access.PublicationPropose), p.publicationNew)
	page("POST /staff/publications/{id}/approve", need(access.PublicationApprove), p.pubStep("approved", approveStep))
	page("POST /staff/publications/{id}/publish", need(access.PublicationPublish), p.pubStep("published", publishStep))
	page("POST /staff/publications/{id}/withdraw", need(access.PublicationPublish), p.pubStep("withdrawn", withdrawStep))

	// The audit log.
	s.handle("GET /api/v1/audit", need(access.AuditRead), s.listAudit)
	s.handle("GET /api/v1/audit/verify", need(access.AuditRead), s.verifyAudit)
	// The public audit log: what it proves (page), its signed checkpoints,
	// key and proofs. Hashes only; anyone, a witness included, may fetch them.
	s.handle("GET /public/log", anyone, p.public(p.portalLog))
	s.handle("GET /public/log/checkpoint", anyone, s.logCheckpoint)
	s.handle("GET /public/log/key", anyone, s.logKey)
	s.handle("GET /public/log/checkpoints", anyone, s.logCheckpoints)
	s.handle("GET /public/log/proof", anyone, s.logProof)
	s.handle("GET /public/log/inclusion", anyone, s.logInclusion)

	// The public portal: approved and published items and the published
	// statistics. Pages answer JSON with Accept: application/json;
	// /api/v1/public/... are their JSON twins.
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

	// Any other path is a page in the visitor's language and the site's
	// frame (404, or 405 with Allow), never Go's bare "404 page not found".
	s.mux.HandleFunc(pageFallback, p.fallback)
}
