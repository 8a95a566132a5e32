package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"math/bits"
)

// Converting amounts in Go rather than in SQL halves what PostgreSQL spends on a scan of a year of
// orders (numeric products and a rate lookup per row). The arithmetic is the SQL's, exactly:
// round(total * rate * 10000) rounded half away from zero, the rate of the order's UTC day, NULL
// (Null) without one.

// decimal is a numeric value m * 10^-s, or big when it does not fit an int64.
type decimal struct {
	m   int64
	s   int32
	big *big.Int // with s, when set
}

var errNumeric = fmt.Errorf("%w: numeric", errFormat)

// rawDecimal decodes a binary numeric; ok is false for NULL, NaN and infinities.
func rawDecimal(b []byte) (d decimal, ok bool, err error) {
	if b == nil {
		return d, false, nil
	}
	if len(b) < 8 {
		return d, false, errNumeric
	}
	ndigits := int(binary.BigEndian.Uint16(b))
	weight := int(int16(binary.BigEndian.Uint16(b[2:])))
	sign := binary.BigEndian.Uint16(b[4:])
	if sign != 0 && sign != 0x4000 {
		return d, false, nil // NaN, +-Infinity
	}
	if len(b) < 8+2*ndigits {
		return d, false, errNumeric
	}
	// The digits are base 10000: value = digits * 10000^(weight - ndigits + 1).
	d.s = int32(4 * (ndigits - 1 - weight))
	fits := ndigits <= 4
	var m uint64
	var bm *big.Int
	if !fits {
		bm = new(big.Int)
	}
	for i := range ndigits {
		digit := uint64(binary.BigEndian.Uint16(b[8+2*i:]))
		if fits {
			m = m*10000 + digit
		} else {
			bm.Mul(bm, big.NewInt(10000)).Add(bm, big.NewInt(int64(digit)))
		}
	}
	if fits {
		d.m = int64(m)
		if sign == 0x4000 {
			d.m = -d.m
		}
		return d, true, nil
	}
	if sign == 0x4000 {
		bm.Neg(bm)
	}
	d.big = bm
	return d, true, nil
}

func (d decimal) bigInt() *big.Int {
	if d.big != nil {
		return d.big
	}
	return big.NewInt(d.m)
}

var pow10 = func() [20]uint64 {
	var p [20]uint64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// units is round(a * b * 10^4) half away from zero, as an int64; ok is false when it does not fit.
func units(a, b decimal) (int64, bool) {
	if a.big == nil && b.big == nil {
		if v, ok := unitsFast(a, b); ok {
			return v, true
		}
	}
	return unitsBig(a, b)
}

func unitsFast(a, b decimal) (int64, bool) {
	neg := (a.m < 0) != (b.m < 0)
	hi, p := bits.Mul64(absU(a.m), absU(b.m))
	if hi != 0 {
		return 0, false
	}
	var v uint64
	switch e := 4 - a.s - b.s; {
	case e >= 0:
		if e >= int32(len(pow10)) {
			return 0, p == 0
		}
		hi, v = bits.Mul64(p, pow10[e])
		if hi != 0 {
			return 0, false
		}
	case -e >= int32(len(pow10)):
		v = 0 // below a ten-thousandth of half a unit
	default:
		div := pow10[-e]
		v = p / div
		if r := p % div; r >= div-r { // r >= div/2, without overflow
			v++
		}
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	if neg {
		return -int64(v), true
	}
	return int64(v), true
}

func absU(x int64) uint64 {
	if x < 0 {
		return uint64(-x)
	}
	return uint64(x)
}

func unitsBig(a, b decimal) (int64, bool) {
	p := new(big.Int).Mul(a.bigInt(), b.bigInt())
	ten := big.NewInt(10)
	e := 4 - int64(a.s) - int64(b.s)
	if e >= 0 {
		p.Mul(p, new(big.Int).Exp(ten, big.NewInt(e), nil))
	} else {
		div := new(big.Int).Exp(ten, big.NewInt(-e), nil)
		neg := p.Sign() < 0
		p.Abs(p)
		q, r := new(big.Int).QuoRem(p, div, new(big.Int))
		if r.Lsh(r, 1).Cmp(div) >= 0 {
			q.Add(q, big.NewInt(1))
		}
		if neg {
			q.Neg(q)
		}
		p = q
	}
	if !p.IsInt64() {
		return 0, false
	}
	return p.Int64(), true
}

// one is the rate of the shop currency.
var one = decimal{m: 1}

// rateKey is a currency and a UTC day (days since 1970-01-01).
type rateKey struct {
	currency string
	day      int64
}

const sqlRates = `SELECT currency, (day - DATE '1970-01-01')::int8, rate FROM {{schema}}.exchange_rates`

// converter turns order totals into shop-currency units as amountSQL does.
type converter struct {
	currency string
	rates    map[rateKey]decimal // nil without exchange_rates
}

func (s *Store) converter(ctx context.Context, currency string) (*converter, error) {
	c := &converter{currency: currency}
	rates, err := s.hasRates(ctx)
	if err != nil || !rates {
		return c, err
	}
	rows, err := s.queryRaw(ctx, sqlRates)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	c.rates = map[rateKey]decimal{}
	for rows.Next() {
		v := rows.RawValues()
		rate, ok, err := rawDecimal(v[2])
		if err != nil {
			return nil, err
		}
		k := rateKey{string(v[0]), rawInt(v[1], 0)}
		if _, dup := c.rates[k]; ok && !dup && v[0] != nil && v[1] != nil {
			c.rates[k] = rate
		}
	}
	return c, s.Wrap(rows.Err())
}

const microsPerDay = 86_400_000_000

// amount converts a raw total in a raw currency of an order created at `created` (micros), or
// returns Null.
func (c *converter) amount(total, currency []byte, created int64) (int64, error) {
	t, ok, err := rawDecimal(total)
	if err != nil || !ok || currency == nil {
		return Null, err
	}
	rate := one
	if string(currency) != c.currency {
		day := created / microsPerDay
		if created < 0 && created%microsPerDay != 0 {
			day--
		}
		if rate, ok = c.rates[rateKey{unsafeString(currency), day}]; !ok {
			return Null, nil
		}
	}
	v, ok := units(t, rate)
	if !ok {
		return Null, fmt.Errorf("%w: an order total out of range", errNumeric)
	}
	return v, nil
}
