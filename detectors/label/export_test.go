package label

// ReadTextAlways turns the interface-label shortcut of explicit off until the returned
// function restores it.
func ReadTextAlways() (restore func()) {
	readTextAlways = true
	return func() { readTextAlways = false }
}
