module modproxy

go 1.27

require golang.org/x/mod v0.41.0
