package servicedag_test

import (
	"fmt"

	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

// The service DAG of a five-service checkout trace, encoded as the
// tracemap.dag attribute. (The processor calls Layout first, which fills
// the geometry left 0 here.)
func ExampleDAG_Encode() {
	td := tracetest.Traces(tracetest.TraceID(1), tracetest.FiveServices()...)
	d := servicedag.FromTree(spantree.FromTraces(td)[0], servicedag.Options{})
	fmt.Println(d.Encode())
	// Output:
	// v1|0 0|frontend,,,,2,0,0,0,0,0,0;checkout,,,,1,0,0,0,0,0,0;payment,,,,2,1,0,0,0,0,0;inventory,,,,1,0,0,0,0,0,0;shipping,,,,1,0,0,0,0,0,0|0,1,,1,0,750,;1,2,,1,1,400,;1,3,,1,0,200,;1,4,,1,0,200,
}
