package colorscale

import (
	"cmp"
	"hash/fnv"
	"slices"
)

// ServicePalette is the categorical palette of service colours: Okabe and
// Ito's colour-blind-safe set ("Color Universal Design", 2002) without its
// vermillion, which is left to errors and the top of the heat scale, and
// with a dark grey for its black (black is the critical path's mark). The
// colours differ in lightness as well as hue, so neighbours stay apart
// under deuteranopia, protanopia and tritanopia.
var ServicePalette = [...]Color{
	{0xe6, 0x9f, 0x00}, // orange
	{0x56, 0xb4, 0xe9}, // sky blue
	{0x00, 0x9e, 0x73}, // bluish green
	{0xf0, 0xe4, 0x42}, // yellow
	{0x00, 0x72, 0xb2}, // blue
	{0xcc, 0x79, 0xa7}, // reddish purple
	{0x55, 0x55, 0x55}, // dark grey
}

// ServiceSlot is the palette slot a service prefers: a hash of its name, so
// a service keeps its colour in every picture.
func ServiceSlot(service string) int {
	h := fnv.New32a()
	h.Write([]byte(service))
	return int(h.Sum32() % uint32(len(ServicePalette)))
}

// Services assigns palette slots to the services of one picture. Every
// service gets its preferred slot (ServiceSlot) unless another service of
// the picture already holds it; then the services that collide are taken
// in name order and each moves to the next free slot. So within a picture
// of up to len(ServicePalette) services no two share a colour, and a
// service keeps its colour across pictures unless it collides in one.
// With more services than colours, slots are shared (names and tooltips
// still tell them apart). The result is indexed like services; names that
// repeat get the same slot.
func Services(services []string) []int {
	n := len(ServicePalette)
	order := make([]int, len(services))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(services[a], services[b]) })
	slots := make([]int, len(services))
	var used [len(ServicePalette)]bool
	free := n
	assigned := make(map[string]int, len(services))
	// place gives service i its slot: the one its name already has, its
	// preferred one when free (or when none is free), else, when probe,
	// the next free one; it reports false when it placed nothing.
	place := func(i int, probe bool) bool {
		s := services[i]
		if k, ok := assigned[s]; ok {
			slots[i] = k
			return true
		}
		k := ServiceSlot(s)
		if used[k] && free > 0 {
			if !probe {
				return false
			}
			for used[k] {
				k = (k + 1) % n
			}
		}
		if !used[k] {
			used[k], free = true, free-1
		}
		slots[i], assigned[s] = k, k
		return true
	}
	// First every service whose preferred slot is still free, in name
	// order; then the rest probe forward, in name order.
	var pending []int
	for _, i := range order {
		if !place(i, false) {
			pending = append(pending, i)
		}
	}
	for _, i := range pending {
		place(i, true)
	}
	return slots
}
