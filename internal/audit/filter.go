package audit

import "github.com/astralcore/astral/internal/errs"

// Validate checks a filter: OrgID is required, ids and the action must be
// well-formed, After must not be negative, Limit must be within 0..MaxLimit
// and From must not be after To. Problems are errs.Invalid.
func (f *Filter) Validate() error {
	var fe []errs.FieldError
	add := func(field, msg string, args ...any) {
		fe = append(fe, errs.FieldError{Field: field, Message: msg, Args: args})
	}
	switch {
	case f.OrgID == "":
		add("org_id", msgRequired)
	case len(f.OrgID) > maxIDLen || !isID(f.OrgID):
		add("org_id", msgInvalidFormat)
	}
	for _, id := range []struct {
		field string
		v     *string
	}{{"actor_id", f.ActorID}, {"patient_id", f.PatientID}} {
		if id.v != nil && (*id.v == "" || len(*id.v) > maxIDLen || !isID(*id.v)) {
			add(id.field, msgInvalidFormat)
		}
	}
	if f.Action != nil && (len(*f.Action) > maxNameLen || !isName(*f.Action, true)) {
		add("action", msgInvalidFormat)
	}
	if f.After < 0 {
		add("after", msgInvalidFormat)
	}
	if f.Limit < 0 || f.Limit > MaxLimit {
		add("limit", "field.out_of_range", 0, MaxLimit)
	}
	if f.From != nil && f.To != nil && f.From.After(*f.To) {
		add("from", msgInvalidFormat)
	}
	if len(fe) > 0 {
		return errs.InvalidFields(fe...)
	}
	return nil
}

// EffectiveLimit returns how many entries a filter asks for.
func (f *Filter) EffectiveLimit() int {
	if f.Limit <= 0 {
		return DefaultLimit
	}
	return f.Limit
}
