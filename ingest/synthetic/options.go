package synthetic

import (
	"fmt"
	"math"
	"time"

	"github.com/tickerlake/tickerlake/market"
	"github.com/tickerlake/tickerlake/quant"
)

const daysPerYear = 365 // option time runs on the calendar, as in package quant

// expiry is one expiration of a chain.
type expiry struct {
	date    time.Time // the expiration date
	at      time.Time // the instant options stop trading: that day's close
	monthly bool      // the standard monthly expiration (third Friday)
}

// expirations lists the expirations in the maxDays calendar days from
// date that have not yet closed at t: every Friday within weeklyHorizon and
// the third Friday of each month after it, or the trading day before when
// that Friday is a holiday.
func (m *Market) expirations(date, t time.Time, maxDays int) []expiry {
	last := date.AddDate(0, 0, maxDays)
	toFriday := (int(time.Friday) - int(date.Weekday()) + 7) % 7
	var out []expiry
	for f := date.AddDate(0, 0, toFriday); !f.After(last); f = f.AddDate(0, 0, 7) {
		e := f
		if !m.cal.IsTradingDay(e) {
			e = m.cal.PrevTradingDay(e)
		}
		if e.Before(date) {
			continue
		}
		_, close, _ := m.cal.Session(e)
		if !t.Before(close) {
			continue
		}
		monthly := f.Day() >= 15 && f.Day() <= 21
		// As listed in practice: weeklies for the next five weeks, then
		// only the monthly expirations.
		if !monthly && f.Sub(date) > weeklyHorizon {
			continue
		}
		out = append(out, expiry{date: e, at: close, monthly: monthly})
	}
	return out
}

// strikeStep is the strike grid spacing for an underlying price.
func strikeStep(spot float64) float64 {
	switch {
	case spot < 25:
		return 0.5
	case spot < 50:
		return 1
	case spot < 100:
		return 2.5
	case spot < 300:
		return 5
	case spot < 1000:
		return 10
	case spot < 2500:
		return 25
	}
	return 50
}

// weeklyHorizon is how far ahead weekly expirations are listed.
const weeklyHorizon = 35 * 24 * time.Hour

// Strikes listed on each side of the at-the-money strike.
const (
	weeklyStrikes  = 8
	monthlyStrikes = 15
)

// yearsTo is the option time from t to expiry instant at, in years.
func yearsTo(t, at time.Time) float64 {
	return at.Sub(t).Hours() / (24 * daysPerYear)
}

// pricing is the state of the market an option is priced in.
type pricing struct {
	spot, h, rate, div float64
	t                  time.Time
}

func (ps pricing) forward(years float64) float64 {
	return ps.spot * math.Exp((ps.rate-ps.div)*years)
}

// model returns the model price, the smile volatility, and the moneyness in
// ATM standard deviations of one contract.
func (ps pricing) model(p *params, kind quant.Kind, strike float64, e expiry) (price, vol, stdMoneyness float64) {
	years := yearsTo(ps.t, e.at)
	atm := p.atmVol(ps.h, years)
	fwd := ps.forward(years)
	vol = p.smileVol(atm, strike, fwd, years)
	price = quant.AmericanPrice(quant.Params{
		Kind: kind, Spot: ps.spot, Strike: strike, Rate: ps.rate, Div: ps.div, Vol: vol, Time: years,
	})
	return price, vol, math.Log(strike/fwd) / (atm * math.Sqrt(years))
}

// bounds are the no-arbitrage bounds of an American price: at least its value
// without volatility (which is at least the intrinsic value), at most the
// spot for a call and the strike for a put.
func (ps pricing) bounds(kind quant.Kind, strike, years float64) (lo, hi float64) {
	lo = quant.AmericanPrice(quant.Params{Kind: kind, Spot: ps.spot, Strike: strike, Rate: ps.rate, Div: ps.div, Time: years})
	if kind == quant.Put {
		return lo, strike
	}
	return lo, ps.spot
}

// Chain returns the option chain snapshot at instant t: calls and puts of
// every expiration within maxDays calendar days (see expirations), with
// strikes around spot. Analytics fields are left zero for the processor.
// It is empty for unknown symbols and before the first simulated session.
// With a DefectRate some quotes are crossed, corrupted or duplicated.
func (m *Market) Chain(symbol string, t time.Time, maxDays int) []market.OptionQuote {
	s := m.lookup(symbol)
	if s == nil || maxDays < 0 {
		return nil
	}
	t = t.UTC()
	spot, cur := m.spot(s, t)
	if cur < 0 {
		return nil
	}
	curOpen, curClose, _ := m.cal.Session(m.tl.day(cur))
	now := pricing{spot: spot, rate: m.cfg.Rate, div: s.p.divYield, t: t, h: s.path.get(cur).h}
	lastTrade := t // quotes trade up to the snapshot while the session runs
	if !t.Before(curClose) {
		// After the close the variance forecast already knows today's shock.
		now.h = s.path.get(cur + 1).h
		lastTrade = curClose
	}
	var prev *pricing
	if cur > 0 {
		_, prevClose, _ := m.cal.Session(m.tl.day(cur - 1))
		prev = &pricing{spot: s.path.get(cur - 1).close(), rate: now.rate, div: now.div, t: prevClose, h: s.path.get(cur).h}
	}

	root := market.OCCRoot(s.name)
	optionKey := mix(mix(s.key, tagOption), uint64(t.Unix()))
	defectKey := mix(mix(s.key, tagOptionDefect), uint64(t.Unix()))
	var out []market.OptionQuote
	for _, e := range m.expirations(market.DateOf(t), t, maxDays) {
		years := yearsTo(t, e.at)
		step := strikeStep(spot)
		n := weeklyStrikes
		if e.monthly {
			n = monthlyStrikes
		}
		center := math.Round(spot/step) * step
		for _, kind := range []quant.Kind{quant.Call, quant.Put} {
			for j := -n; j <= n; j++ {
				strike := math.Round((center+float64(j)*step)*1000) / 1000
				if strike <= 0 {
					continue
				}
				q := market.OptionQuote{
					SnapshotTS:      t,
					Symbol:          s.name,
					ContractSymbol:  contractSymbol(root, e.date, kind, strike),
					Type:            market.Call,
					Expiration:      e.date,
					Strike:          strike,
					ContractSize:    "REGULAR",
					Currency:        "USD",
					UnderlyingPrice: spot,
					InTheMoney:      strike < spot,
				}
				if kind == quant.Put {
					q.Type, q.InTheMoney = market.Put, strike > spot
				}
				r := newStream(mixString(optionKey, q.ContractSymbol))
				model, vol, z := now.model(&s.p, kind, strike, e)
				lo, hi := now.bounds(kind, strike, years)
				quoteBook(&q, &r, model, lo, hi, math.Min(math.Abs(z), 4))
				if prev != nil {
					before, _, _ := prev.model(&s.p, kind, strike, e)
					if prevLast := math.Round(before*100) / 100; prevLast > 0 {
						q.Change = math.Round((q.LastPrice-prevLast)*100) / 100
						q.PercentChange = q.Change / prevLast * 100
					} else {
						q.Change = q.LastPrice
					}
				}
				m.fillActivity(&q, &r, s, vol, z, years, e.monthly, curOpen, lastTrade)

				switch d := m.optionDefect(mixString(defectKey, q.ContractSymbol)); d {
				case defectNone:
				case defectDuplicate:
					out = append(out, q)
				default:
					corruptQuote(d, &q)
				}
				out = append(out, q)
			}
		}
	}
	return out
}

// quoteBook sets bid, ask and last around the model price. The spread widens
// for cheap and far-from-the-money contracts; prices sit on a 0.01 tick, 0.05
// from $3. The midpoint is kept inside the no-arbitrage bounds [lo, hi].
func quoteBook(q *market.OptionQuote, r *stream, model, lo, hi, absZ float64) {
	tick := 0.01
	if model >= 3 {
		tick = 0.05
	}
	width := 0.02 + 0.01*absZ + model*(0.015+0.015*absZ)
	half := math.Ceil(width/2/tick-1e-9) * tick
	center := math.Round(model/tick) * tick
	if center < lo {
		center += tick
	}
	if center > hi {
		center -= tick
	}
	q.Bid = math.Round(math.Max(center-half, 0)*100) / 100
	q.Ask = math.Round((center+half)*100) / 100
	last := model * math.Exp(0.02*r.norm())
	last = math.Round(math.Min(math.Max(last, q.Bid), q.Ask)*100) / 100
	q.LastPrice = math.Min(math.Max(last, 0.01), q.Ask)
}

// fillActivity sets volume, open interest, the provider's implied volatility
// and the last trade time, which is never before the session's open.
// Liquidity decays with distance from the money and
// concentrates in monthly and near expirations.
func (m *Market) fillActivity(q *market.OptionQuote, r *stream, s *symbol, vol, z, years float64, monthly bool, open, lastTrade time.Time) {
	liquidity := math.Exp(-0.5 * z * z)
	oi := s.p.baseVolume / 4000 * liquidity * math.Exp(0.5*r.norm()-0.125)
	if monthly {
		oi *= 3
	}
	q.OpenInterest = int64(math.Round(oi))
	q.Volume = int64(math.Round(oi * r.uniform(0.05, 0.4) * (1 + 2*math.Exp(-years*52))))
	q.SourceIV = math.Max(vol*(1+0.03*r.norm()), 0.01)
	ago := time.Duration((5 + r.float()*900*(1+math.Min(math.Abs(z), 4))) * float64(time.Second))
	q.LastTradeTS = lastTrade.Add(-ago).Truncate(time.Second)
	if q.LastTradeTS.Before(open) {
		q.LastTradeTS = open
	}
}

// contractSymbol is the OCC symbol without root padding, as Yahoo writes it:
// root, YYMMDD, C or P, and the strike in thousandths on eight digits.
func contractSymbol(root string, exp time.Time, kind quant.Kind, strike float64) string {
	cp := "C"
	if kind == quant.Put {
		cp = "P"
	}
	return fmt.Sprintf("%s%s%s%08d", root, exp.Format("060102"), cp, int64(math.Round(strike*1000)))
}

func corruptQuote(d defect, q *market.OptionQuote) {
	switch d {
	case defectCrossed:
		q.Bid, q.Ask = q.Ask, q.Bid
		if q.Bid <= q.Ask {
			q.Bid = q.Ask + 0.01
		}
	case defectNegStrike:
		q.Strike = -q.Strike
	case defectNaNBid:
		q.Bid = math.NaN()
	}
}
