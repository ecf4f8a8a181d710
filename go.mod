module github.com/astralcore/astral

go 1.26
