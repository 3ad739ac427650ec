package main

import "io"

func runCompare(args []string, stdin io.Reader, stdout, stderr io.Writer) int { return exitUsage }
