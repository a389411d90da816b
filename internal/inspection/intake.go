package inspection

import (
	"context"

	"mashang/internal/docket"
	"mashang/internal/intake"
)

// IntakeOpener opens findings' cases through the intake service, on channel
// "inspection", with the visit's photos and videos as the case's evidence.
func IntakeOpener(svc *intake.Service) CaseOpener {
	return func(ctx context.Context, c NewCase) (CaseRef, error) {
		sub := intake.Submission{
			Channel:    docket.Inspection,
			ReceivedAt: c.ReceivedAt,
			Content:    c.Content,
			Situation:  c.Situation,
			Unit:       c.Unit,
			Anonymous:  true,
			Actor:      c.Actor,
			// The case of a covert plan's finding stays covert until the plan is done.
			CovertPlanID: c.CovertPlanID,
		}
		if c.PersonID != nil {
			sub.PersonID = *c.PersonID
		}
		for _, f := range c.Files {
			sub.Files = append(sub.Files, intake.File{Blob: f.Blob, Filename: f.Filename, Source: intake.SourceInspection})
		}
		r, err := svc.Submit(ctx, sub)
		if err != nil {
			return CaseRef{}, err
		}
		return CaseRef{ID: r.CaseID, Receipt: r.Receipt}, nil
	}
}
