package synthetic

import "math"

// defect is what happens to one row. Each row independently gets a defect
// with probability DefectRate; the kind is drawn from the same row key.
type defect int

const (
	defectNone defect = iota
	// Bars.
	defectGap       // the row is dropped
	defectDuplicate // the row is emitted twice
	defectNegative  // the open is negated
	defectHighLow   // high and low are swapped so high < low
	defectNaN       // the close is NaN
	// Option quotes (defectDuplicate applies too).
	defectCrossed   // bid > ask
	defectNegStrike // the strike is negated
	defectNaNBid    // the bid is NaN
)

// barDefect picks the defect of the bar whose row key is key: a third gaps,
// a third duplicates, a third bad rows split evenly among the three kinds.
func (m *Market) barDefect(key uint64) defect {
	if m.cfg.DefectRate <= 0 || unit(key) >= m.cfg.DefectRate {
		return defectNone
	}
	switch k := unit(splitmix(key)) * 9; {
	case k < 3:
		return defectGap
	case k < 6:
		return defectDuplicate
	case k < 7:
		return defectNegative
	case k < 8:
		return defectHighLow
	default:
		return defectNaN
	}
}

// optionDefect picks the defect of one quote: a third crossed, a third bad
// rows (negative strike or NaN bid), a third duplicated contracts.
func (m *Market) optionDefect(key uint64) defect {
	if m.cfg.DefectRate <= 0 || unit(key) >= m.cfg.DefectRate {
		return defectNone
	}
	switch k := unit(splitmix(key)) * 6; {
	case k < 2:
		return defectCrossed
	case k < 3:
		return defectNegStrike
	case k < 4:
		return defectNaNBid
	default:
		return defectDuplicate
	}
}

func corruptBar(d defect, open, high, low, close *float64) {
	switch d {
	case defectNegative:
		*open = -*open
	case defectHighLow:
		*high, *low = *low, *high
		if *high >= *low {
			*low = *high + 0.01
		}
	case defectNaN:
		*close = math.NaN()
	}
}
