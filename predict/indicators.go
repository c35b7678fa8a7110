package predict

import "math"

// Indicators are the technical features of each session, computed from
// closes and volumes up to and including that session only.
type Indicators struct {
	RSI       []float64 // RSI(14), Wilder's smoothing, 0..100
	MACD      []float64 // EMA(12) - EMA(26) of closes, over the close
	BollWidth []float64 // 4 standard deviations of 20 closes over their mean
	VolumeZ   []float64 // volume's z-score against the previous 20 sessions
}

// indicators computes every indicator in one pass per series.
func indicators(s *Series) Indicators {
	n := s.Len()
	ind := Indicators{RSI: nanSlice(n), MACD: nanSlice(n), BollWidth: nanSlice(n), VolumeZ: nanSlice(n)}
	var gain, loss float64
	var ema12, ema26 float64
	for i := range n {
		c := s.Close[i]
		if i == 0 {
			ema12, ema26 = c, c
		} else {
			ema12 += (2.0 / 13) * (c - ema12)
			ema26 += (2.0 / 27) * (c - ema26)
			d := c - s.Close[i-1]
			up, down := math.Max(d, 0), math.Max(-d, 0)
			if i <= 14 {
				gain += up / 14
				loss += down / 14
			} else {
				gain = (gain*13 + up) / 14
				loss = (loss*13 + down) / 14
			}
			if i >= 14 {
				if loss == 0 {
					ind.RSI[i] = 100
				} else {
					ind.RSI[i] = 100 - 100/(1+gain/loss)
				}
			}
		}
		if i >= 25 {
			ind.MACD[i] = (ema12 - ema26) / c
		}
		if i >= 19 {
			m, sd := meanSD(s.Close[i-19 : i+1])
			ind.BollWidth[i] = 4 * sd / m
		}
		if i >= 20 {
			m, sd := meanSD(s.Volume[i-20 : i])
			if sd > 0 {
				ind.VolumeZ[i] = (s.Volume[i] - m) / sd
			} else {
				ind.VolumeZ[i] = 0
			}
		}
	}
	return ind
}

func meanSD(x []float64) (mean, sd float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		sd += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(sd / float64(len(x)))
}
