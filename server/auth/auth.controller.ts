/** Sign-in routes (issue 5): sessions by identity key or passkey, sign-out, and passkey registration. */
import { Body, Controller, Delete, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { MESSAGE_TYPES } from '../../protocol/api';
import { sessionOpenSchema } from '../../protocol/auth/access';
import { envelopeSchemaFor } from '../common/openapi';
import { Access } from './access.decorator';
import { CurrentPrincipal, type Principal, sessionMember } from './principal';
import { PasskeysService } from './passkeys.service';
import { SessionsService } from './sessions.service';

@ApiTags('auth')
@Controller('api/v1/auth')
export class AuthController {
  constructor(private readonly sessions: SessionsService, private readonly passkeys: PasskeysService) {}

  @Post('session')
  @Access('public')
  @ApiOperation({ summary: 'Sign in with the identity key: a session.open envelope naming this coordinator\'s key; answers { token, expiresAt, member }. With purpose "passkey-enrolment" the session lasts 10 minutes and only registers one passkey (signer-cli passkey link)' })
  @ApiBody({ schema: envelopeSchemaFor(MESSAGE_TYPES.sessionOpen, sessionOpenSchema) })
  open(@Body() body: unknown) {
    return this.sessions.openWithIdentityKey(body);
  }

  @Delete('session')
  @Access('session', { enrolment: true })
  @ApiOperation({ summary: 'Sign out: the session ends at once' })
  close(@CurrentPrincipal() principal: Principal) {
    return this.sessions.close(sessionMember(principal).sessionId);
  }

  @Post('passkey/options')
  @HttpCode(200)
  @Access('public')
  @ApiOperation({ summary: 'Passkey sign-in, step 1: WebAuthn request options with a single-use challenge' })
  signInOptions() {
    return this.passkeys.signInOptions();
  }

  @Post('passkey')
  @Access('public')
  @ApiOperation({ summary: 'Passkey sign-in, step 2: { response } (the assertion) by a passkey pinned in a vault member set; answers a session' })
  signIn(@Body() body: unknown) {
    return this.passkeys.signIn(body);
  }

  @Post('passkeys/registration/options')
  @HttpCode(200)
  @Access('session', { enrolment: true })
  @ApiOperation({ summary: 'Passkey registration, step 1 (signed in): WebAuthn creation options (ES256, user verification required)' })
  registrationOptions(@CurrentPrincipal() principal: Principal) {
    return this.passkeys.registrationOptions(sessionMember(principal));
  }

  @Post('passkeys/registration')
  @Access('session', { enrolment: true })
  @ApiOperation({ summary: 'Passkey registration, step 2: { response } (the attestation); answers the verified { credentialId, publicKey }, which counts only once a quorum-approved member change pins it' })
  register(@CurrentPrincipal() principal: Principal, @Body() body: unknown) {
    return this.passkeys.register(sessionMember(principal), body);
  }
}
