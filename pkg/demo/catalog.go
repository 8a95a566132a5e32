package demo

import (
	"math"
	"math/rand/v2"
	"sort"
)

// weighted is a discrete distribution over indexes 0..n-1.
type weighted struct{ cdf []float64 }

func newWeighted(weights ...float64) weighted {
	cdf := make([]float64, len(weights))
	sum := 0.0
	for i, w := range weights {
		sum += w
		cdf[i] = sum
	}
	for i := range cdf {
		cdf[i] /= sum
	}
	return weighted{cdf: cdf}
}

func (w weighted) pick(r *rand.Rand) int { return w.quantile(r.Float64()) }

// quantile is the index at cumulative probability x in [0, 1).
func (w weighted) quantile(x float64) int {
	i := sort.SearchFloat64s(w.cdf, x)
	if i >= len(w.cdf) {
		i = len(w.cdf) - 1
	}
	return i
}

// Helpdesk vocabulary. Weights are realistic orders of magnitude for a mid-size shop.
var (
	agents       = []string{"alice", "bruno", "chloe", "david", "emma", "farid", "gina", "hugo", "ines", "jules"}
	agentWeights = newWeighted(14, 12, 12, 10, 10, 10, 9, 9, 8, 6)

	channels       = []string{"email", "chat", "phone", "social"}
	channelWeights = newWeighted(45, 30, 10, 15)

	projects       = []string{"aurora-shop", "boreal-outdoor", "cobalt-kids"}
	projectWeights = newWeighted(60, 30, 10)
	projectShare   = []float64{0.6, 0.3, 0.1}

	priorities      = []string{"low", "normal", "high", "critical"}
	priorityWeights = newWeighted(10, 75, 12, 3)
	// first-response speed factor per priority
	priorityUrgency = []float64{2, 1, 0.5, 0.25}

	// topics; index -1 means NULL
	topics = []string{"order_status", "returns", "product_question", "shipping", "payment", "other"}
)

// Topic mix per ticket kind; the last weight is "no topic".
var topicWeights = [...]weighted{
	kindBefore: newWeighted(0, 5, 40, 20, 15, 10, 10),
	kindAfter:  newWeighted(35, 25, 5, 20, 5, 5, 5),
	kindRandom: newWeighted(15, 10, 25, 10, 8, 17, 15),
	kindAnon:   newWeighted(15, 10, 25, 10, 8, 17, 15),
}

// CSAT score mix (1..5) per agent: most are good, hugo is having a hard time, ines shines.
var (
	scoreDefault   = newWeighted(6, 4, 8, 20, 62)
	scoreStruggles = newWeighted(15, 10, 15, 25, 35)
	scoreShines    = newWeighted(2, 2, 5, 16, 75)
	scoreBots      = newWeighted(12, 6, 12, 25, 45)
	scoreReturns   = newWeighted(10, 6, 10, 24, 50)
)

func scoreWeights(agent int, topic int) weighted {
	switch {
	case agent < 0:
		return scoreBots
	case agents[agent] == "hugo":
		return scoreStruggles
	case agents[agent] == "ines":
		return scoreShines
	case topic >= 0 && topics[topic] == "returns":
		return scoreReturns
	}
	return scoreDefault
}

// Order vocabulary.
var (
	lineCountWeights = newWeighted(50, 28, 14, 8) // 1..4 lines
	quantityWeights  = newWeighted(80, 15, 3, 1, 1)
)

const (
	statusFulfilled = "fulfilled"
	statusPaid      = "paid"
	statusPending   = "pending"
	statusCancelled = "cancelled"
	statusRefunded  = "refunded"
	statusVoided    = "voided"
)

var (
	settledStatuses = []string{statusFulfilled, statusPaid, statusPending, statusCancelled, statusRefunded, statusVoided}
	settledWeights  = newWeighted(88.7, 4, 0.5, 3, 3.5, 0.3)
	recentStatuses  = []string{statusPaid, statusPending, statusFulfilled, statusCancelled}
	recentWeights   = newWeighted(50, 10, 38, 2)
)

type product struct {
	id, name string
	cents    int64 // price in the shop currency
}

var (
	productAdjectives = []string{"Cozy", "Classic", "Urban", "Alpine", "Coastal", "Vintage", "Bold", "Soft", "Rugged", "Bright"}
	productMaterials  = []string{"Wool", "Linen", "Cotton", "Leather", "Bamboo", "Ceramic", "Oak", "Canvas", "Steel", "Cashmere"}
	productNouns      = []string{"Blanket", "Mug", "Backpack", "Lamp", "Scarf", "Tote", "Candle", "Jacket", "Bottle", "Cushion",
		"Beanie", "Planter", "Notebook", "Tray", "Sneakers", "Throw", "Apron", "Bowl", "Wallet", "Hoodie"}
)

const productCount = 200

// newProducts makes the catalog and its popularity: a Zipf-like law over a shuffled ranking,
// so the best sellers are not simply the first ids.
func newProducts(r *rand.Rand) ([]product, weighted) {
	ps := make([]product, productCount)
	seen := map[string]bool{}
	for i := range ps {
		var name string
		for {
			name = productAdjectives[r.IntN(len(productAdjectives))] + " " +
				productMaterials[r.IntN(len(productMaterials))] + " " + productNouns[r.IntN(len(productNouns))]
			if !seen[name] {
				break
			}
		}
		seen[name] = true
		dollars := math.Round(math.Exp(math.Log(35) + 0.7*r.NormFloat64()))
		ps[i] = product{id: productID(i), name: name, cents: int64(max(dollars, 5))*100 - 1}
	}
	weights := make([]float64, productCount)
	for rank, i := range r.Perm(productCount) {
		weights[i] = 1 / math.Pow(float64(rank+1), 1.1)
	}
	return ps, newWeighted(weights...)
}

func productID(i int) string {
	const digits = "0123456789"
	return "P" + string([]byte{digits[i/100%10], digits[i/10%10], digits[i%10]})
}
