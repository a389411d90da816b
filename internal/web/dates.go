package web

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"mashang/internal/civil"
)

var dateType = reflect.TypeFor[civil.Date]()

// jsonName is the name encoding/json gives a struct field ("" when skipped).
func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	if tag == "-" || !f.IsExported() {
		return ""
	}
	if name, _, _ := strings.Cut(tag, ","); name != "" {
		return name
	}
	return f.Name
}

// badDateField finds, in the JSON body b decoded into a value of type t, the
// path of a date that does not parse ("decided_on", "visits[2].at"), for the
// one bad-date answer. encoding/json reports a field's own parse error
// without the field's name.
func badDateField(b []byte, t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == dateType:
		var d civil.Date
		if d.UnmarshalJSON(b) != nil {
			return "."
		}
	case t.Kind() == reflect.Struct:
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) != nil {
			return ""
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				if p := badDateField(b, f.Type); p != "" {
					return p
				}
				continue
			}
			name := jsonName(f)
			if name == "" {
				continue
			}
			raw, ok := m[name]
			if !ok {
				for k, v := range m { // encoding/json matches names case-insensitively
					if strings.EqualFold(k, name) {
						raw, ok = v, true
						break
					}
				}
			}
			if !ok {
				continue
			}
			if p := badDateField(raw, f.Type); p == "." {
				return name
			} else if p != "" {
				return name + "." + p
			}
		}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(b, &items) != nil {
			return ""
		}
		for i, it := range items {
			if p := badDateField(it, t.Elem()); p == "." {
				return fmt.Sprintf("[%d]", i)
			} else if p != "" {
				return fmt.Sprintf("[%d].%s", i, p)
			}
		}
	}
	return ""
}

// checkDates applies the range every date taken as input must lie in
// (civil.CheckInput) to the dates of a decoded request body, naming the
// first one out of range.
func checkDates(v reflect.Value, path string, today civil.Date) error {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch {
	case v.Type() == dateType:
		d := civil.Date{Year: int(v.Field(0).Int()), Month: time.Month(v.Field(1).Int()), Day: int(v.Field(2).Int())}
		return civil.CheckInput(path, d, today)
	case v.Kind() == reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			name := jsonName(f)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				name = ""
			} else if name == "" {
				continue
			}
			sub := name
			if path != "" && name != "" {
				sub = path + "." + name
			} else if name == "" {
				sub = path
			}
			if err := checkDates(v.Field(i), sub, today); err != nil {
				return err
			}
		}
	case v.Kind() == reflect.Slice || v.Kind() == reflect.Array:
		for i := range v.Len() {
			if err := checkDates(v.Index(i), fmt.Sprintf("%s[%d]", path, i), today); err != nil {
				return err
			}
		}
	}
	return nil
}
