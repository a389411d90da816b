package web

import (
	"net/http"

	"mashang/internal/catalog"
)

// channelData is data/channels.json: how the public can report.
type channelData struct {
	Hotlines []struct {
		Name   catalog.Text `json:"name"`
		Number string       `json:"number"`
	} `json:"hotlines"`
	Boxes []catalog.Text `json:"boxes"`
	Email string         `json:"email"`
}

type homeSubject struct {
	Key        string
	Categories []homeCategory
}

type homeCategory struct {
	Code, Name string
	Situations []homeSituation
}

type homeSituation struct{ Code, Name, Example string }

// subjects groups the catalogue's situations by subject and category.
func (p *pageServer) subjects(lang string) []homeSubject {
	out := []homeSubject{{Key: "home.subject_unit"}, {Key: "home.subject_person"}}
	for _, s := range p.s.app.Catalog.Situations {
		i := 0
		if s.Subject == catalog.SubjectPerson {
			i = 1
		}
		cats := &out[i].Categories
		if n := len(*cats); n == 0 || (*cats)[n-1].Code != s.Category {
			*cats = append(*cats, homeCategory{Code: s.Category, Name: s.CategoryName.In(lang)})
		}
		c := &(*cats)[len(*cats)-1]
		c.Situations = append(c.Situations, homeSituation{Code: s.Code, Name: s.Name(lang), Example: s.Example.In(lang)})
	}
	return out
}

type homePage struct {
	Subjects []homeSubject
	Channels channelData
}

func (p *pageServer) home(w http.ResponseWriter, r *http.Request, v *view) error {
	return p.render(w, http.StatusOK, v, "home", homePage{Subjects: p.subjects(v.Lang), Channels: p.channels})
}
