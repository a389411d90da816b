package demo

import (
	"context"

	"mashang/internal/auth"
	"mashang/internal/office"
	"mashang/internal/profile"
)

// setProfile gives the demo county's office (the one office, or Minqing's
// in the demo city) its name, letterhead and ways to report (the seed's
// hotlines and complaint boxes), as its admin would in the pages; an
// office that already has its own is left as it is.
func (g *gen) setProfile(ctx context.Context) error {
	t, err := g.a.Offices.Tree(ctx)
	if err != nil {
		return err
	}
	home := t.Home()
	if mq, ok := t.ByCode("MQ"); ok {
		// The city's own: the city-wide hotline for its public home page.
		if _, err := g.a.Profile.Save(ctx, auth.System("cli:demo"), home.Code, profile.Input{
			Letterhead: &office.Letterhead{Name: "福州市整治“为官不为”问题办公室", Short: "榕整肃"},
			Channels:   &office.Channels{Hotlines: []office.Hotline{{Name: "福州市 12345 政务服务便民热线", NameEn: "Fuzhou 12345 public service hotline", Number: "12345"}}},
		}); err != nil {
			return err
		}
		home = mq
	}
	pr, err := g.a.Profile.Of(ctx, home.ID)
	if err != nil {
		return err
	}
	if pr.Own.Letterhead.Name != "" || len(pr.Own.Channels.Hotlines) > 0 {
		return nil
	}
	name := home.Name
	if name == profile.DefaultName {
		name = "闽清县整肃办"
	}
	_, err = g.a.Profile.Save(ctx, auth.System("cli:demo"), home.Code, profile.Input{
		Name: &name,
		Letterhead: &office.Letterhead{Name: "闽清县整治“为官不为”问题办公室", Short: "闽整肃",
			Address: "福建省福州市闽清县梅城镇解放大街 1 号", Postcode: "350800", Phone: "0591-22371885",
			NameEn:    "Minqing County Office for Tackling Officials' Inaction",
			AddressEn: "1 Jiefang Avenue, Meicheng, Minqing County, Fuzhou, Fujian"},
		Channels: &office.Channels{
			Hotlines: []office.Hotline{{Name: "县纪委信访室", NameEn: "County discipline commission, letters and visits", Number: "0591-22371732"},
				{Name: "县效能办", NameEn: "County efficiency office", Number: "0591-22371885"}},
			Email:   "zsb@example.gov.cn",
			Boxes:   []string{"县委大院", "县纪委", "县效能办", "县行政服务中心"},
			BoxesEn: []string{"County Party Committee compound", "County discipline commission", "County efficiency office", "County administrative service centre"}},
		Texts: &profile.Texts{Hours: "工作日 8:00–12:00，14:30–17:30", HoursEn: "Working days 8:00–12:00 and 14:30–17:30"},
	})
	return err
}
