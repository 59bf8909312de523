-- uplint's language server for Neovim 0.7 and later, with no plugin.
-- Load it from init.lua:  dofile("/path/to/uplint/editors/neovim/uplint.lua")
-- (On Neovim 0.11 and later, the README's vim.lsp.config form does the same.)
-- Set vim.g.uplint_command to the binary's path when `uplint` is not on PATH.

-- Kusto files are the `kusto` file type.
vim.cmd([[autocmd BufRead,BufNewFile *.kql,*.csl,*.kusto setfiletype kusto]])

-- A file's project is the folder of the nearest uplint.toml above it, else of the nearest .git,
-- else its own folder: the same root `uplint check` finds.
local function project_root(path)
  local dir = vim.fn.fnamemodify(path, ":p:h")
  local config = vim.fn.findfile("uplint.toml", dir .. ";")
  if config ~= "" then
    return vim.fn.fnamemodify(config, ":p:h")
  end
  local git = vim.fn.finddir(".git", dir .. ";")
  if git ~= "" then
    return vim.fn.fnamemodify(git, ":p:h:h")
  end
  return dir
end

-- One server per project, shared by all its buffers.
local servers = {}
vim.api.nvim_create_autocmd("FileType", {
  pattern = "kusto",
  callback = function(args)
    local root = project_root(vim.api.nvim_buf_get_name(args.buf))
    local id = servers[root]
    if id == nil or vim.lsp.get_client_by_id(id) == nil then
      id = vim.lsp.start_client({
        name = "uplint",
        cmd = { vim.g.uplint_command or "uplint", "server" },
        root_dir = root,
      })
      servers[root] = id
    end
    if id ~= nil then
      vim.lsp.buf_attach_client(args.buf, id)
    end
  end,
})
