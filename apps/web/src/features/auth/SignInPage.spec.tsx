import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { fakeAuth, renderPage } from '../../testing/render';
import { SignInPage } from './SignInPage';

describe('sign in and sign up', () => {
  it('says what is wrong with each field before sending anything', async () => {
    const auth = fakeAuth(null);
    renderPage(<SignInPage mode="signup" />, { auth });
    await userEvent.type(screen.getByLabelText('Email'), 'not-an-email');
    await userEvent.type(screen.getByLabelText('Password'), 'short');
    await userEvent.type(screen.getByLabelText('Repeat password'), 'shorter');
    await userEvent.click(screen.getByRole('button', { name: 'Create account' }));
    expect(screen.getByLabelText('Email')).toHaveProperty('ariaInvalid', 'true');
    expect(screen.getByText('Enter an email address like name@example.com.')).toBeTruthy();
    expect(screen.getByText('Use at least 8 characters.')).toBeTruthy();
    expect(screen.getByText('The passwords do not match.')).toBeTruthy();
    expect(auth.signUp).not.toHaveBeenCalled();
  });

  it('shows Firebase’s refusal as a sentence, and keyboard users reach the button', async () => {
    const auth = fakeAuth(null, { signIn: vi.fn(async () => Promise.reject(Object.assign(new Error('x'), { code: 'auth/invalid-credential' }))) });
    renderPage(<SignInPage mode="signin" />, { auth });
    await userEvent.type(screen.getByLabelText('Email'), 'ada@example.test');
    await userEvent.type(screen.getByLabelText('Password'), 'wrong-password{Enter}');
    expect((await screen.findByRole('alert')).textContent).toBe('Wrong email or password.');
    expect(auth.signIn).toHaveBeenCalledWith('ada@example.test', 'wrong-password');
  });

  it('signs up and moves on', async () => {
    const auth = fakeAuth(null);
    renderPage(<SignInPage mode="signup" />, { auth });
    await userEvent.type(screen.getByLabelText('Email'), ' ada@example.test ');
    await userEvent.type(screen.getByLabelText('Password'), 'long-enough-1');
    await userEvent.type(screen.getByLabelText('Repeat password'), 'long-enough-1');
    await userEvent.click(screen.getByRole('button', { name: 'Create account' }));
    await waitFor(() => expect(screen.getByText('Navigated elsewhere')).toBeTruthy());
    expect(auth.signUp).toHaveBeenCalledWith('ada@example.test', 'long-enough-1');
  });
});
