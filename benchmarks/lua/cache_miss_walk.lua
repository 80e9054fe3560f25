-- A different query string on every request, so the read cache never answers.
--   wrk ... -s cache_miss_walk.lua URL -- <path with or without a query> <first counter>
-- Appends year_from=1450..1900 and year_to=1950..2026: 451 x 77 = 34,727
-- distinct pairs before one repeats. Each is a valid filter, so every
-- request runs the real query (a COUNT and a 20-row page) in the database.
-- The cache is shared by the three prefixes, so the runner starts each run's
-- counter where the previous run's ended: no run reads another's entries.
local base = "/"
local counter = 0

function init(args)
  base = args[1]
  counter = tonumber(args[2] or "0")
end

function request()
  local year_from = 1450 + counter % 451
  local year_to = 1950 + math.floor(counter / 451) % 77
  counter = counter + 1
  local separator = "?"
  if string.find(base, "?", 1, true) then
    separator = "&"
  end
  return wrk.format(nil, base .. separator .. "year_from=" .. year_from .. "&year_to=" .. year_to)
end
