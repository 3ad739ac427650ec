module github.com/tracemap/tracemap

go 1.26
