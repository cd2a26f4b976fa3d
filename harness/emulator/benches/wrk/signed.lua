-- wrk script: sends the prepared signed requests of a file (one path-and-query a line, written
-- by `cargo bench -p eni-emulator --bench versus_axum -- wrk-prep DIR`) in order, round and
-- round: `wrk -t1 -c16 -d10s -s signed.lua http://127.0.0.1:PORT/ -- DIR/pairs.txt`.
-- Every request is built once in init, so that the script costs wrk as little as a fixed path.

local requests = {}
local next_index = 1

function init(args)
  local path = args[1]
  if path == nil then
    error("usage: wrk ... -s signed.lua URL -- FILE (the signed requests, one a line)")
  end
  for line in io.lines(path) do
    if #line > 0 then
      requests[#requests + 1] = wrk.format("GET", line)
    end
  end
  if #requests == 0 then
    error("no requests in " .. path)
  end
end

function request()
  local r = requests[next_index]
  next_index = next_index % #requests + 1
  return r
end
