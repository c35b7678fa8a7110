package ingest

import "github.com/tickerlake/tickerlake/market"

// Routing names the real sources a collector can route tasks to; a nil
// source is one that is not configured.
type Routing struct {
	Bars      Source // daily, 15-minute and historical bars (Twelve Data)
	Options   Source // option chains, dividends and splits (Yahoo)
	FlatFiles Source // historical daily bars from flat files, or nil
	// FlatFilesFirst also takes daily bars from the flat files; intraday bars
	// then come only from Bars, and only when BarsKeyed.
	FlatFilesFirst bool
	BarsKeyed      bool // Bars has API keys
}

// Router routes each task kind to the source of its feed's provider in the
// registry (market.Feed.Provider): bar feeds to Bars, option chains and
// corporate actions to Options; historical bars to the flat files where
// they are given (and daily bars too with FlatFilesFirst).
func (p Routing) Router() *Router {
	routes := map[Kind]Source{}
	for _, f := range market.Feeds() {
		switch f.Provider {
		case market.ProviderBars:
			routes[Kind(f.Task)] = p.Bars
		case market.ProviderQuotes:
			routes[Kind(f.Task)] = p.Options
		}
	}
	if p.FlatFiles != nil {
		routes[Historical] = p.FlatFiles
		if p.FlatFilesFirst {
			routes[Daily] = p.FlatFiles
			if !p.BarsKeyed {
				delete(routes, Intraday)
			}
		}
	}
	return &Router{Routes: routes}
}
